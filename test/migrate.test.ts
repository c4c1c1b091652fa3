// astotp migrate through the built bundle: SQLite to a real PostgreSQL and
// back leaves every row as it was, and the users log in on the copy.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { freshDatabase, PgSite } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { Site, totp, wrongCode } from './helpers/site.js';
import { AuthoritySite } from './helpers/authority-site.js';

// Whole bundles, servers and crowds of calls on two shared cores: seconds, not the default 5.
vi.setConfig({ testTimeout: 60_000 });

/** Every row of the tables astotp keeps, as JSON-comparable values; audit without its row numbers. */
function rowsOf(file: string): Record<'users' | 'throttle' | 'audit' | 'key', unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const all = (sql: string) =>
      (db.prepare(sql).all() as Record<string, unknown>[]).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : v])),
      );
    return {
      users: all('SELECT * FROM users ORDER BY id'),
      throttle: all('SELECT * FROM throttle ORDER BY id'),
      audit: all('SELECT at, login, user, caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit ORDER BY id'),
      key: all("SELECT value FROM meta WHERE key = 'key_check'"),
    };
  } finally {
    db.close();
  }
}

describePostgres('astotp migrate', () => {
  const server = usePostgres();

  it('copies SQLite to PostgreSQL and back with identical rows, and users log in on the copy', async () => {
    const site = new Site();
    site.config({ tries: 1, pbx_name: 'old-pbx' });
    site.enroll('1001', '4321');
    site.enroll('1002', null);
    expect((await site.call({ inputs: ['1001', '4321', wrongCode()] })).variables.ASTOTP).toBe('FAILURE');
    expect((await site.call({ inputs: ['1002', '1111', wrongCode()] })).variables.ASTOTP).toBe('FAILURE');
    // A pbotp login's failure count, as an older PBX would have left it.
    const db = new Database(site.db);
    db.prepare("INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES ('pbotp-mac:00ff', 2, NULL, 1700000000)").run();
    db.close();
    const before = rowsOf(site.db);
    expect(before.users).toHaveLength(2);
    expect((before.users[0] as { failures: number }).failures).toBe(1);

    const url = await freshDatabase(server(), `migrate_${process.pid}`);
    const env = { ...site.env, PGPASSWORD: server().password };
    const run = (args: string[], e: Record<string, string> = env) =>
      spawnSync(process.execPath, [BUNDLE_PATH, ...args], { env: e, encoding: 'utf8', timeout: 60_000 });

    const there = run(['migrate', '--to', url]);
    expect(there.stderr).not.toMatch(/error/i);
    expect(there.status).toBe(0);
    expect(there.stdout).toMatch(/users: 2 read, 2 written/);
    expect(there.stdout).toMatch(/throttle: 1 read, 1 written/);
    // Two enroll commands and two calls; the target's own row of this migrate comes on top.
    expect(there.stdout).toMatch(/audit: 4 read, 4 written\n {2}and 1 audit row recording this migrate\n/);
    expect(there.stdout).not.toContain(server().password);

    // Onto itself under another name: refused before anything is written, whatever --force says.
    const alias = join(site.varDir, 'alias.sqlite3');
    symlinkSync(site.db, alias);
    const self = run(['migrate', '--to', alias, '--force']);
    expect(self.status).not.toBe(0);
    expect(self.stderr).toMatch(/names the configured database .* itself; nothing was written/);
    expect(rowsOf(site.db)).toEqual(before);

    // A second copy onto the used target is refused and changes nothing.
    const again = run(['migrate', '--to', url]);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already holds users.*--force/);

    // The copy is a working store: the PBX switched over to it logs the users in.
    const pbx = new PgSite(server(), url, 'new-pbx');
    pbx.config({ key_file: site.keyFile });
    const login = await pbx.call({ inputs: ['1001', '4321', totp()] });
    expect(login.variables).toMatchObject({ ASTOTP: 'SUCCESS' });

    const sameServer = run(['migrate', '--to', url.replace('127.0.0.1', 'localhost'), '--force'], pbx.env);
    expect(sameServer.status).not.toBe(0);
    expect(sameServer.stderr).toMatch(/itself; nothing was written/);

    // Back to a new SQLite file, from the PostgreSQL store as configured.
    const back = join(site.varDir, 'back.sqlite3');
    const home = run(['migrate', '--to', back], pbx.env);
    expect(home.status).toBe(0);
    expect(home.stdout).toMatch(/audit: 6 read, 6 written/);
    const after = rowsOf(back);
    // The login on the copy moved 1001's counters and added an audit row; everything else is as it was.
    expect(after.users[1]).toEqual(before.users[1]);
    expect(after.throttle).toEqual(before.throttle);
    expect(after.key).toEqual(before.key);
    expect(after.audit.slice(0, 4)).toEqual(before.audit);
    expect(after.audit[4]).toMatchObject({
      login: null,
      source: 'admin',
      reason: 'migrate',
      detail: expect.stringMatching(new RegExp(`^migrate \\(from ${site.db}\\) by `)),
      pbx: 'old-pbx',
    });
    expect(after.audit[5]).toMatchObject({ login: '1001', user: '1001', result: 'SUCCESS', pbx: 'new-pbx' });
    expect(after.audit[6]).toMatchObject({
      source: 'admin',
      reason: 'migrate',
      detail: expect.stringMatching(/^migrate \(from postgres:\/\/.*\) by /),
      pbx: 'new-pbx',
    });
    const {
      last_step: _a,
      last_success: _b,
      updated_at: _c,
      failures,
      pin_streak,
      ...rest1001
    } = after.users[0] as Record<string, unknown>;
    const { last_step: _d, last_success: _e, updated_at: _f, ...was1001 } = before.users[0] as Record<string, unknown>;
    // Its failures were with the right PIN: the login reset their streak too.
    expect(was1001.pin_streak).toBe(1);
    expect({ ...rest1001, failures, pin_streak }).toEqual({ ...was1001, failures: 0, pin_streak: 0 });
  });

  it("copies a pbotp authority's mark, approvers and API tokens, so the copy is the authority", async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx,ssh', 'db-*');
    const token = site.json<{ id: number; token: string }>(['api-token', 'create', 'alice', '--label', 'helpdesk']).value;
    const url = await freshDatabase(server(), `migrate_authority_${process.pid}`);
    const env = { ...site.env, PGPASSWORD: server().password };
    const run = (args: string[]) => spawnSync(process.execPath, [BUNDLE_PATH, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    const copied = run(['migrate', '--to', url]);
    expect(copied.status, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(/roles: 1 read, 1 written/);
    expect(copied.stdout).toMatch(/api_tokens: 1 read, 1 written/);
    const there = ['--db', url, '--key', site.keyFile];
    expect(JSON.parse(run(['roles', '--json', ...there]).stdout)).toEqual([
      expect.objectContaining({ user: 'alice', groups: ['pbx', 'ssh'], hosts: ['db-*'] }),
    ]);
    expect(JSON.parse(run(['api-token', 'list', '--json', ...there]).stdout)).toEqual([
      expect.objectContaining({ user: 'alice', label: 'helpdesk', revoked_at: null }),
    ]);
    expect(run(['init', '--authority', ...there]).stdout).toContain("is a pbotp authority's already");
    expect(run(['api-token', 'revoke', String(token.id), ...there]).status).toBe(0);
  });
});
