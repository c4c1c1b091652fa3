// doctor and TLS against a real PostgreSQL server that speaks TLS with a
// certificate from a throwaway CA: verify-full by name and by IP address,
// and a server whose certificate the configured CA did not sign is refused.
import { expect, it, vi } from 'vitest';
import { SCHEMA_VERSION } from '../src/store/schema.js';
import { freshDatabase, PgSite } from './helpers/pg-site.js';
import { describePostgres, usePostgres, type PostgresServer } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';
import { makeCa } from './helpers/tls-certs.js';

// Whole bundles, servers and crowds of calls on two shared cores: seconds, not the default 5.
vi.setConfig({ testTimeout: 60_000 });

let n = 0;
async function siteWith(server: PostgresServer, query: string, host = 'localhost'): Promise<PgSite> {
  const url = (await freshDatabase(server, `doctor_${process.pid}_${++n}`)).replace('127.0.0.1', host);
  return new PgSite(server, `${url}?${query}`);
}

const lines = (out: string, check: string) => out.split('\n').filter((l) => l.includes(` ${check}: `));

describePostgres('doctor on a PostgreSQL store over TLS', () => {
  const server = usePostgres({ tls: true });

  it('checks reachability, TLS, schema, key and clock, over verify-full by host name and by IP address', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const site = await siteWith(server(), `sslmode=verify-full&sslrootcert=${server().caFile}`, host);
      const init = site.cli(['init']);
      expect(init.stderr).not.toMatch(/unreachable|failed|error/i);
      expect(init.status).toBe(0);
      site.enroll('1001', '4321');
      const out = site.cli(['doctor']).stdout;
      expect(lines(out, 'database')).toEqual([
        expect.stringMatching(
          new RegExp(`^PASS {2}database: postgres://astotp@\\S+ opens; schema version ${SCHEMA_VERSION} of ${SCHEMA_VERSION}; 1 user$`),
        ),
      ]);
      expect(lines(out, 'tls')).toEqual([
        expect.stringMatching(
          /^PASS {2}tls: \S+ \(PostgreSQL [\d.]+\) is on this machine, where TLS is not needed \(in use all the same\)$/,
        ),
      ]);
      expect(lines(out, 'key')).toEqual([expect.stringMatching(/^PASS {2}key: /)]);
      expect(lines(out, 'clock')[0]).toMatch(/^PASS {2}clock: this PBX's clock is within 2 s of the database server's/);
      expect(out).not.toContain(server().password);
    }
  });

  it('warns when a remote server is reached without verifying it, which only db_insecure_tls allows', async () => {
    // 127.0.0.1 as an IPv6-mapped address: the same machine, but astotp counts it as remote, as any address but loopback's own.
    const site = await siteWith(server(), 'sslmode=require', '[::ffff:127.0.0.1]');
    const refused = site.cli(['init']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/sslmode=require to ::ffff:7f00:1 would not check whose server it is/);
    site.config({ db_insecure_tls: 'yes' });
    expect(site.cli(['init']).status).toBe(0);
    const out = site.cli(['doctor']).stdout;
    expect(lines(out, 'tls')).toEqual([
      expect.stringMatching(
        /^WARN {2}tls: .* is encrypted, but the server's certificate is not checked \(sslmode=require, allowed by db_insecure_tls\)/,
      ),
    ]);
  });

  it('refuses a server whose certificate another CA signed, naming TLS and the mode', async () => {
    const other = await makeCa(tempDir('astotp-other-ca-'), 'not the server CA');
    const site = await siteWith(server(), `sslmode=verify-full&sslrootcert=${other.cert}`);
    const r = site.cli(['init']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/TLS to postgres:\/\/astotp@localhost:\d+\/doctor_\S+ failed \(sslmode=verify-full\)/);
    const doctor = site.cli(['doctor']);
    expect(doctor.status).toBe(1);
    expect(lines(doctor.stdout, 'database')[0]).toMatch(/^FAIL {2}database: TLS to .* failed/);
  });
});
