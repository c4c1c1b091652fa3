// The throwaway PostgreSQL server the store's suites stand on
// (test/helpers/postgres.ts): reachable as promised, TLS that really
// verifies, a crash and a restart that keep what was committed, and a stop
// that leaves no process behind.
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { expect, it } from 'vitest';
import { describePostgres, usePostgres, type PostgresServer } from './helpers/postgres.js';
import { childrenOf, isRunning } from './helpers/processes.js';
import { tempDir } from './helpers/temp.js';
import { makeCa } from './helpers/tls-certs.js';

/** Runs `sql` on a new connection made with `config`, then closes it. */
async function queryWith(config: pg.ClientConfig, sql: string): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client(config);
  // A connection the server drops emits 'error' besides failing the query;
  // the failed query is what the tests look at.
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The role's login over TCP, the password apart from the URL as the server hands it out. */
const tcp = (s: PostgresServer, extra: pg.ClientConfig = {}): pg.ClientConfig => {
  const url = new URL(s.url);
  return {
    host: url.hostname,
    port: Number(url.port),
    user: url.username,
    database: url.pathname.slice(1),
    password: s.password,
    ...extra,
  };
};

/** s.url with the password in it and these query parameters (pg's connection string wins over separate options). */
function urlWith(s: PostgresServer, params: Record<string, string>): string {
  const url = new URL(s.url);
  url.password = s.password;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

describePostgres('a throwaway PostgreSQL server for tests', () => {
  const server = usePostgres({ tls: true });

  it('takes the role with its password over TCP on 127.0.0.1, and refuses a wrong one', async () => {
    const s = server();
    expect(s.url).toBe(`postgres://astotp@127.0.0.1:${s.port}/astotp`);
    expect(s.url).not.toContain(s.password);
    const [row] = await queryWith(tcp(s), 'SELECT current_user AS who, current_database() AS db, inet_server_addr()::text AS addr');
    expect(row).toEqual({ who: 'astotp', db: 'astotp', addr: '127.0.0.1/32' });
    await expect(queryWith(tcp(s, { password: `${s.password}x` }), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  it('takes the role over its unix socket, and the superuser for assertions', async () => {
    const s = server();
    const [row] = await queryWith(
      { host: s.socketDir, port: s.port, user: s.role, database: s.database },
      'SELECT current_user AS who, inet_server_addr() AS addr',
    );
    expect(row).toEqual({ who: 'astotp', addr: null });
    expect(await s.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).toEqual([{ rolsuper: true }]);
    expect(await s.query('SELECT $1::int + 1 AS n', [41])).toEqual([{ n: 42 }]);
    expect(await s.query('SHOW max_connections')).toEqual([{ max_connections: '200' }]);
  });

  it('speaks TLS that verify-full accepts with its CA, for 127.0.0.1 and for localhost', async () => {
    const s = server();
    expect(s.caFile).toBeDefined();
    const sslInUse = 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
    const viaUrl = urlWith(s, { sslmode: 'verify-full', sslrootcert: s.caFile as string });
    expect(await queryWith({ connectionString: viaUrl }, sslInUse)).toEqual([{ ssl: true }]);
    const ca = readFileSync(s.caFile as string, 'utf8');
    expect(await queryWith(tcp(s, { ssl: { ca, servername: 'localhost' } }), sslInUse)).toEqual([{ ssl: true }]);
  });

  it('is refused by verify-full under another CA, or under another server name', async () => {
    const s = server();
    const other = await makeCa(tempDir('astotp-other-ca-'), 'other-ca');
    const otherUrl = urlWith(s, { sslmode: 'verify-full', sslrootcert: other.cert });
    await expect(queryWith({ connectionString: otherUrl }, 'SELECT 1')).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const ca = readFileSync(s.caFile as string, 'utf8');
    await expect(queryWith(tcp(s, { ssl: { ca, servername: 'db.example.org' } }), 'SELECT 1')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('kill() fails connections like a crash; restart() comes back on the same port with committed data', async () => {
    const s = server();
    await queryWith(tcp(s), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the crash')");
    const open = new pg.Client(tcp(s));
    open.on('error', () => {});
    await open.connect();
    const { port, pid } = s;
    const children = childrenOf(pid);
    try {
      await s.kill();
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      expect(children.filter(isRunning)).toEqual([]);
      await expect(open.query('SELECT 1')).rejects.toThrow();
    } finally {
      await open.end().catch(() => {});
    }
    await expect(queryWith(tcp(s), 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await s.restart();
    expect(s.port).toBe(port);
    expect(s.pid).not.toBe(pid);
    expect(await queryWith(tcp(s), 'SELECT v FROM kept')).toEqual([{ v: 'before the crash' }]);
  });

  it('stop() leaves no process of the server behind; restart() after it works too', async () => {
    const s = server();
    const pid = s.pid;
    const children = childrenOf(pid);
    // The checkpointer and its kin at least: else the check below proves nothing.
    expect(children.length).toBeGreaterThan(0);
    await s.stop();
    for (const p of [pid, ...children]) expect(existsSync(`/proc/${p}`), `process ${p}`).toBe(false);
    await expect(queryWith(tcp(s), 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await s.restart();
    expect(await s.query('SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
    await s.stop();
    expect(() => s.pid).toThrow(/not running/);
  });
});
