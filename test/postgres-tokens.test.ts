// Key fobs on PBXs sharing a real PostgreSQL database, through the bundle:
// one HOTP code among 50 calls on two FastAGI servers opens one, and
// migrate carries tokens, counters and drift across, SQLite to PostgreSQL
// and back.
import Database from 'better-sqlite3';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { freshDatabase, PgSite, queryDatabase } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { plainPskc, writeText } from './helpers/pskc-files.js';
import { AgiServer } from './helpers/serve-agi.js';
import { Site, totp } from './helpers/site.js';

vi.setConfig({ testTimeout: 90_000 });

const RFC_SECRET = Buffer.from('12345678901234567890');
const hotpCode = (counter: number) =>
  execFileSync('oathtool', ['--hotp', '-c', String(counter), RFC_SECRET.toString('hex')], { encoding: 'utf8' }).trim();

/** A fob H1 of RFC 4226's secret, given to 1001. */
function giveFob(site: Site): void {
  const file = writeText(site.astDir, 'fobs.xml', plainPskc([{ serial: 'H1', kind: 'hotp', secret: RFC_SECRET }]));
  const assign = writeText(site.astDir, 'assign.csv', 'H1,1001\n');
  const r = site.cli(['import', '--pskc', file, '--assign', assign]);
  if (r.status !== 0) throw new Error(`import --pskc failed: ${r.stderr}`);
}

describePostgres('key fobs on PBXs sharing one PostgreSQL database', () => {
  const server = usePostgres();
  let dbs = 0;

  it('gives exactly one SUCCESS to 50 simultaneous calls with one HOTP code on two FastAGI servers', async () => {
    const a = new PgSite(server(), await freshDatabase(server(), `tokens_${process.pid}_${++dbs}`));
    a.config({ lockout_failures: 1000 });
    a.enroll('1001', '4321');
    giveFob(a);
    const b = a.sibling('pbx-b');
    b.config({ lockout_failures: 1000 });
    const servers = await Promise.all([a, b].map((site) => AgiServer.start({ ...site.env, AST_CONFIG_DIR: site.confDir })));
    try {
      const inputs = ['1001', '4321', hotpCode(1)];
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => fastAgiCall({ port: servers[i % 2]!.port, inputs })));
      const outcomes = results.map((r) => r.variables.ASTOTP);
      expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'FAILURE')).toHaveLength(49);
      const rows = await queryDatabase<{ counter: number; detail: string }>(
        server(),
        a.url,
        "SELECT t.counter::integer AS counter, (SELECT detail FROM audit WHERE result = 'SUCCESS' AND source <> 'admin') AS detail FROM tokens t WHERE serial = 'H1'",
      );
      expect(rows).toEqual([{ counter: 2, detail: 'PIN and code ok (token H1)' }]);
      // The code used on one PBX is worth nothing on the other, nor the codes behind it.
      expect((await b.call({ inputs })).variables.ASTOTP).toBe('FAILURE');
      expect((await b.call({ inputs: ['1001', '4321', hotpCode(2)] })).variables.ASTOTP).toBe('SUCCESS');
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it('migrates tokens with their counters, SQLite to PostgreSQL and back, and the fob goes on where it was', async () => {
    const site = new Site();
    site.config({ pbx_name: 'old-pbx' });
    site.enroll('1001', '4321');
    giveFob(site);
    expect((await site.call({ inputs: ['1001', '4321', hotpCode(0)] })).variables.ASTOTP).toBe('SUCCESS');
    expect((await site.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('SUCCESS');
    const url = await freshDatabase(server(), `tokens_${process.pid}_${++dbs}`);
    const env = { ...site.env, PGPASSWORD: server().password };
    const there = spawnSync(process.execPath, [BUNDLE_PATH, 'migrate', '--to', url], { env, encoding: 'utf8' });
    expect(there.status).toBe(0);
    expect(there.stdout).toMatch(/tokens: 2 read, 2 written/);

    const pbx = new PgSite(server(), url, 'new-pbx');
    pbx.config({ key_file: site.keyFile });
    // The replay marks came along: both codes used on SQLite stay used.
    expect((await pbx.call({ inputs: ['1001', '4321', hotpCode(0)] })).variables.ASTOTP).toBe('FAILURE');
    expect((await pbx.call({ inputs: ['1001', '4321', hotpCode(1)] })).variables.ASTOTP).toBe('SUCCESS');

    const back = join(site.varDir, 'back.sqlite3');
    expect(spawnSync(process.execPath, [BUNDLE_PATH, 'migrate', '--to', back], { env: pbx.env, encoding: 'utf8' }).status).toBe(0);
    const db = new Database(back, { readonly: true });
    try {
      expect(db.prepare('SELECT serial, kind, user_id, counter, digits FROM tokens ORDER BY serial').all()).toEqual([
        { serial: 'H1', kind: 'hotp', user_id: '1001', counter: 2, digits: 6 },
        { serial: 'app:1001', kind: 'app', user_id: '1001', counter: null, digits: 6 },
      ]);
    } finally {
      db.close();
    }
  });
});
