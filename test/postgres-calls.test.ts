// Several PBXs on one real PostgreSQL server, through the built bundle: the
// CLI, classic AGI calls and FastAGI servers share users, replay marks,
// lockouts and one audit log, and a server that goes away fails calls closed.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { freshDatabase, PgSite, queryDatabase } from './helpers/pg-site.js';
import { describePostgres, usePostgres, type PostgresServer } from './helpers/postgres.js';
import { childrenOf } from './helpers/processes.js';
import { AgiServer } from './helpers/serve-agi.js';
import { SECRET, totp, wrongCode } from './helpers/site.js';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';

// Whole bundles, servers and crowds of calls on two shared cores: seconds, not the default 5.
vi.setConfig({ testTimeout: 60_000 });

let dbs = 0;
async function newSite(server: PostgresServer, general: Record<string, string | number> = {}): Promise<PgSite> {
  const site = new PgSite(server, await freshDatabase(server, `calls_${process.pid}_${++dbs}`));
  site.config(general);
  return site;
}

/** SIGKILL to the postmaster and every backend at once: a crash, not a shutdown. */
function crash(server: PostgresServer): void {
  const pid = server.pid;
  for (const p of [pid, ...childrenOf(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
}

describePostgres('PBXs sharing one PostgreSQL database', () => {
  const server = usePostgres();

  it('enrolls on one PBX and lets a caller log in once on any of them', async () => {
    const a = await newSite(server());
    a.enroll('1001', '4321');
    const b = a.sibling('pbx-b');
    const code = totp();
    const first = await a.call({ inputs: ['1001', '4321', code] });
    expect(first.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok' });
    // The code sniffed from A's call is worth nothing on B.
    const replay = await b.call({ inputs: ['1001', '4321', code] });
    expect(replay.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });

    const log = JSON.parse(b.cli(['log', '--json']).stdout) as Array<{ pbx: string; result: string; detail: string }>;
    expect(log.map((e) => [e.pbx, e.result, e.detail])).toEqual([
      ['pbx-a', 'SUCCESS', expect.stringMatching(/^enroll by /)],
      ['pbx-a', 'SUCCESS', 'PIN and code ok (token app)'],
      ['pbx-b', 'FAILURE', 'replayed code (token app)'],
    ]);
    const onlyB = JSON.parse(a.cli(['log', '--json', '--pbx', 'pbx-b']).stdout) as unknown[];
    expect(onlyB).toHaveLength(1);
  });

  it('counts failures on every PBX towards one lockout', async () => {
    const a = await newSite(server(), { tries: 1 });
    a.enroll('1001', '4321');
    const b = a.sibling('pbx-b');
    b.config({ tries: 1 });
    for (const site of [a, a, b, a, b]) {
      expect((await site.call({ inputs: ['1001', '4321', wrongCode()] })).variables.ASTOTP).toBe('FAILURE');
    }
    const locked = await b.call({ inputs: ['1001', '4321', totp()] });
    expect(locked.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'locked' });
    expect(a.cli(['unlock', '1001']).status).toBe(0);
    expect((await b.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('SUCCESS');
  });

  it('gives exactly one SUCCESS to 50 simultaneous calls with the same code on two FastAGI servers and 20 classic spawns', async () => {
    const a = await newSite(server(), { lockout_failures: 1000 });
    a.enroll('1001', '4321');
    const b = a.sibling('pbx-b');
    b.config({ lockout_failures: 1000 });
    const servers = await Promise.all([a, b].map((site) => AgiServer.start({ ...site.env, AST_CONFIG_DIR: site.confDir })));
    try {
      const code = totp();
      const inputs = ['1001', '4321', code];
      const calls = [
        ...Array.from({ length: 15 }, () => fastAgiCall({ port: servers[0]!.port, inputs })),
        ...Array.from({ length: 15 }, () => fastAgiCall({ port: servers[1]!.port, inputs })),
        ...Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).call({ inputs, timeoutMs: 60_000 })),
      ];
      const results = await Promise.all(calls);
      const outcomes = results.map((r) => r.variables.ASTOTP);
      expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'FAILURE')).toHaveLength(49);
      const rows = await queryDatabase(
        server(),
        a.url,
        `SELECT result, count(*)::integer AS n FROM audit WHERE source <> 'admin' GROUP BY result ORDER BY result`,
      );
      expect(rows).toEqual([
        { result: 'FAILURE', n: 49 },
        { result: 'SUCCESS', n: 1 },
      ]);
      await Promise.all(servers.map((s) => s.stop()));
      for (const s of servers) expect(s.log).toMatch(/served 15 calls; \d+ transactions? run again after conflicts\n/);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it('fails a call closed when the server dies mid-call, records no step, and serve-agi recovers after a restart', async () => {
    const a = await newSite(server());
    a.enroll('1001', '4321');
    const agi = await AgiServer.start({ ...a.env, AST_CONFIG_DIR: a.confDir });
    try {
      const code = totp();
      // The caller types the code just after the database server crashed.
      const died = await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', { compute: () => (crash(server()), code) }] });
      expect(died.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      expect(died.variables.ASTOTP_ERROR).toContain(`postgres://astotp@127.0.0.1:${server().port}/`);
      expect(died.variables.ASTOTP_ERROR).not.toContain(server().password);
      const classic = await a.call({ inputs: ['1001', '4321', code] });
      expect(classic.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      expect(classic.variables.ASTOTP_ERROR).toMatch(/unreachable/);

      await server().restart();
      // The same server process, no restart of astotp: the failed call used nothing up.
      const after = await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', code] });
      expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS' });
      expect((await a.call({ inputs: ['1001', '4321', code] })).variables.ASTOTP_REASON).toBe('bad-credentials');
    } finally {
      await agi.stop();
    }
  });

  it('ends a call within db_connect_timeout when the database server does not answer', async () => {
    // Accepts TCP connections and never says a word, like a server behind a dead link.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const a = await newSite(server());
      a.enroll('1001', '4321');
      a.config({ db: `postgres://astotp@127.0.0.1:${port}/astotp`, db_connect_timeout: 1 });
      const r = await a.call({ inputs: ['1001', '4321', totp()], timeoutMs: 10_000 });
      expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      expect(r.variables.ASTOTP_ERROR).toContain(`database server postgres://astotp@127.0.0.1:${port}/astotp is unreachable`);
    } finally {
      silent.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    'started as root, serve-agi serves as the owner of the key file directory, reading the password from passfile=',
    async () => {
      const NOBODY = 65534;
      const srv = server();
      const url = await freshDatabase(srv, `calls_${process.pid}_${++dbs}`);
      const site = new PgSite(srv, url);
      for (const dir of [site.astDir, join(site.astDir, 'var'), join(site.astDir, 'var/lib')]) chmodSync(dir, 0o755);
      chownSync(site.varDir, NOBODY, NOBODY);
      const passfile = join(site.varDir, 'pgpass');
      writeFileSync(passfile, `127.0.0.1:${srv.port}:*:astotp:${srv.password}\n`, { mode: 0o600 });
      chownSync(passfile, NOBODY, NOBODY);
      site.config({ db: `${url}?passfile=${passfile}` });
      const { PGPASSWORD: _pw, ...env } = site.env;
      const enroll = spawnSync(process.execPath, [BUNDLE_PATH, 'enroll', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none'], {
        env,
        input: '4321\n',
        encoding: 'utf8',
      });
      expect(enroll.stderr).not.toMatch(/error|cannot/i);
      expect(enroll.status).toBe(0);
      expect(statSync(site.keyFile).uid).toBe(NOBODY);
      const agi = await AgiServer.start(env);
      try {
        const status = readFileSync(`/proc/${agi.child.pid}/status`, 'utf8');
        expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
        const r = await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', totp()] });
        expect(r.variables.ASTOTP).toBe('SUCCESS');
      } finally {
        await agi.stop();
      }
    },
  );

  it('says at once when no password can be found for the server, and exits', async () => {
    const a = await newSite(server());
    a.enroll('1001', '4321');
    const passfile = join(a.varDir, 'pgpass');
    writeFileSync(passfile, 'elsewhere.example:5432:astotp:astotp:not-this-one\n', { mode: 0o600 });
    a.config({ db: `${a.url}?passfile=${passfile}` });
    // Without PGPASSWORD, which would win over the passfile.
    const { PGPASSWORD: _password, ...env } = a.env;
    // A socket left open after the failed login would keep the CLI alive until
    // the server's authentication_timeout (a minute), past this deadline.
    const r = spawnSync(process.execPath, [BUNDLE_PATH, 'list'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${passfile} has no line for it`);
  });

  it('refuses a PBX whose key file is not the site one, with one sentence', async () => {
    const a = await newSite(server());
    a.enroll('1001', '4321');
    const stranger = new PgSite(server(), a.url, 'pbx-x');
    const r = stranger.cli(['enroll', '1002', '--no-confirm', '--qr', 'none', '--no-pin']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/was made with one; copy the key file from a PBX that uses postgres:\/\/astotp@127\.0\.0\.1:\d+\/calls_/);
    // A key file of its own (made for another database) is refused by name.
    expect(stranger.cli(['--db', join(stranger.varDir, 'other.sqlite3'), 'init']).status).toBe(0);
    const call = await stranger.call({ inputs: ['1001', '4321', totp()] });
    expect(call.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(call.variables.ASTOTP_ERROR).toMatch(
      /is not the one database postgres:\/\/\S+ was made with.*every PBX sharing the database needs a copy of the same key file/,
    );
  });
});

describe('PostgreSQL settings', () => {
  it('refuses a password in the URL without ever printing it', async () => {
    const { Site } = await import('./helpers/site.js');
    const site = new Site();
    site.config({ db: 'postgres://astotp:s3cr3t-pw@db.example:5432/astotp', key_file: site.keyFile });
    const r = site.cli(['list'], '');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/holds a password/);
    expect(r.stderr + r.stdout).not.toContain('s3cr3t-pw');
  });
});
