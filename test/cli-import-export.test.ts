// Issue 11 item 11: many users in one command. astotp import (CSV and
// google-authenticator-libpam files, all or nothing, wrong lines named) and
// astotp export (secrets only when asked, files 0600 as the invoking user),
// through the built bundle, on SQLite and on PostgreSQL. How long an import
// takes is measured by npm run bench, not here.
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CSV_COLUMNS, csvField, parseCsv } from '../src/cli/import/csv.js';
import { CliSite } from './helpers/cli-site.js';
import { PgSite } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { REPO_ROOT } from './helpers/asterisk-peer.js';
import { SECRET, totp, wrongCode, type Site } from './helpers/site.js';
import { tempDir } from './helpers/temp.js';

vi.setConfig({ testTimeout: 120_000 });

const OTHER = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const NOBODY = 65534;

interface Imported {
  imported: number;
  replaced: number;
  users: Array<{ user: string; pin: boolean; new_secret: boolean; secret?: string; uri?: string; replaced: boolean; period: number }>;
}

function file(site: Site, name: string, text: string): string {
  const path = join(site.astDir, name);
  writeFileSync(path, text);
  return path;
}

/** stderr without the note a root-owned site directory gets when the tests run as root. */
const errOf = (r: { stderr: string }) => r.stderr.replace(/^astotp: warning: .* is owned by root, .*\n/gm, '');

const ids = (site: Site) => (JSON.parse(site.cli(['list', '--json']).stdout) as Array<{ id: string }>).map((u) => u.id);

/** Imports, then proves the users work: a call with PIN, a code for one without. */
async function importAndLogIn(site: Site): Promise<void> {
  const csv = file(
    site,
    'users.csv',
    `# from the old system\nuser,pin,secret,algorithm,digits,period\n1001,4321,${SECRET}\n\n"1002",,"${OTHER.toLowerCase()}",SHA1,6,30\n1003,5555\n`,
  );
  const r = site.cli(['import', csv, '--json']);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as Imported;
  expect(out).toMatchObject({ imported: 3, replaced: 0 });
  expect(out.users.map((u) => [u.user, u.pin, u.new_secret])).toEqual([
    ['1001', true, false],
    ['1002', false, false],
    ['1003', true, true],
  ]);
  // Secrets the file gave are not echoed; a new one is there to provision the phone with.
  expect(out.users[0]).not.toHaveProperty('secret');
  const fresh = out.users[2]!;
  expect(fresh.uri).toMatch(new RegExp(`^otpauth://totp/Asterisk:1003\\?secret=${fresh.secret}&`));
  expect(r.stderr).not.toMatch(/4321|5555/);

  expect(ids(site)).toEqual(['1001', '1002', '1003']);
  expect((await site.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('SUCCESS');
  expect((await site.call({ inputs: ['1003', '5555', totp(fresh.secret)] })).variables.ASTOTP).toBe('SUCCESS');
  expect(site.cli(['verify', '1002', totp(OTHER)]).stdout).toBe('SUCCESS\n');
}

/** Wrong lines are all named, by line, without their PINs or secrets, and nothing is written. */
function refusesBadLines(site: Site): void {
  const before = ids(site);
  const csv = file(
    site,
    'bad.csv',
    [
      '2001,1234',
      '2002,12',
      'not an id,1234',
      '2001,',
      `2003,,${SECRET.slice(0, 10)}`,
      '2004,,,MD5',
      '2005,,,,8',
      '2006,,,,,5',
      '"2007,1234',
      '2008,1,2,3,4,5,6,7,8,9',
      '2009,98765',
      `2010;4321;${SECRET}`,
    ].join('\n'),
  );
  const r = site.cli(['import', csv]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${csv} line 2: a PIN must be 4 to`);
  // The field itself is never repeated: on a line split on the wrong separator it holds the PIN and the secret.
  expect(r.stderr).toContain(`${csv} line 3: the user ID (9 characters) is not valid`);
  expect(r.stderr).not.toContain('not an id');
  expect(r.stderr).toContain(
    `${csv} line 12: the user ID (${10 + SECRET.length} characters) is not valid: use 1 to 64 letters, digits and + _ . @ -; is the file separated by ; or tabs? astotp reads commas`,
  );
  expect(r.stderr).not.toContain('4321;');
  expect(r.stderr).toContain(`${csv} line 4: user 2001 is also on ${csv} line 1`);
  expect(r.stderr).toContain(`${csv} line 5: the secret must be base32`);
  expect(r.stderr).toContain(`${csv} line 6: algorithm: expected one of SHA1, SHA256, SHA512`);
  expect(r.stderr).toContain(`${csv} line 7: digits 8 is more than the 6 digits a call asks for`);
  expect(r.stderr).toContain(`${csv} line 8: period: expected a whole number from 15 to 300`);
  expect(r.stderr).toContain(`${csv} line 9: a quoted field is not closed`);
  expect(r.stderr).toContain(`${csv} line 10: 10 fields, at most 9`);
  expect(r.stderr).toMatch(/astotp: 10 errors in the input; nothing was imported\n$/);
  expect(r.stderr).not.toMatch(new RegExp(`98765|${SECRET.slice(0, 10)}`));
  expect(ids(site)).toEqual(before);

  // A user that exists is an error too, unless --force replaces it.
  const again = file(site, 'again.csv', `2001,1234\n1001,,${OTHER}\n`);
  const exists = site.cli(['import', again]);
  expect([exists.status, errOf(exists)]).toEqual([
    1,
    `${again} line 2: user 1001 exists already (--force replaces it)\nastotp: 1 error in the input; nothing was imported\n`,
  ]);
  expect(ids(site)).toEqual(before);
  const forced = site.cli(['import', again, '--force']);
  expect(forced).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Imported 2 users \(1 replaced\)/) });
  expect(site.cli(['verify', '1001', totp(OTHER)]).stdout).toBe('SUCCESS\n');
}

describe('astotp import', () => {
  it('keeps the replay mark of a user replaced under the same secret, and only then', () => {
    const site = new CliSite();
    site.enroll('1001', null);
    site.enroll('1002', null);
    const code = totp();
    expect(site.cli(['verify', '1001', code]).stdout).toBe('SUCCESS\n');
    expect(site.cli(['verify', '1002', code]).stdout).toBe('SUCCESS\n');
    const csv = file(site, 'again.csv', `1001,,${SECRET}\n1002,,${OTHER}\n`);
    expect(site.cli(['import', csv, '--force']).status).toBe(0);
    // Whoever heard the code in the call before the import cannot use it after.
    expect(site.cli(['verify', '1001', code]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['verify', '1002', totp(OTHER)]).stdout).toBe('SUCCESS\n');
  });

  it('imports a CSV file in one command, and the users log in', async () => {
    await importAndLogIn(new CliSite());
  });

  it('names every wrong line and imports nothing; an existing user only with --force', async () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    refusesBadLines(site);
  });

  // Issue 19 item 13: one run names every error of every file, not one kind after the other.
  it('reports every error of every file at once: unreadable files, wrong lines, users that exist already', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    site.enroll('1002', null);
    const a = file(site, 'a.csv', '2001,12\n1001,4321\n2002,4321\n');
    const missing = join(site.astDir, 'nosuch.csv');
    const b = file(site, 'b.csv', `1002,,${SECRET}\n2003,,,MD5\n`);
    const ga = file(site, 'ga-eve', `${SECRET}\n" HOTP_COUNTER 1\n`);
    const r = site.cli(['import', a, missing, b, '--google-authenticator', `2004=${ga}`]);
    expect(r.status).toBe(1);
    expect(errOf(r)).toBe(
      [
        `${a} line 1: a PIN must be 4 to 12 digits`,
        `${a} line 2: user 1001 exists already (--force replaces it)`,
        `cannot read ${missing}: no such file or directory`,
        `${b} line 1: user 1002 exists already (--force replaces it)`,
        `${b} line 2: algorithm: expected one of SHA1, SHA256, SHA512`,
        `${ga} line 2: HOTP_COUNTER: counter-based codes (HOTP); astotp takes only time-based ones (TOTP_AUTH)`,
        'astotp: 6 errors in the input; nothing was imported\n',
      ].join('\n'),
    );
    expect(ids(site)).toEqual(['1001', '1002']);
  });

  it('imports thousands of users in one call, from standard input', () => {
    const site = new CliSite();
    const lines = Array.from({ length: 3000 }, (_, i) => `${10000 + i},${i < 3 ? '2468' : ''},${i === 0 ? SECRET : ''}`);
    const r = site.cli(['import', '-'], `${lines.join('\n')}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Imported 3000 users; 2997 without a PIN/);
    // The table of new secrets, one per generated one.
    expect(r.stdout.match(/^\d{5} +otpauth:\/\/totp\//gm)).toHaveLength(2999);
    expect(ids(site)).toHaveLength(3000);
    expect(site.cli(['verify', '10000', totp()]).stdout).toBe('SUCCESS\n');
    expect(site.cli(['log', '--admin', '--json', '--limit', '5000']).stdout.match(/"reason": "import"/g)).toHaveLength(3000);
  });

  // Issue 19 item 14: imported users get recovery codes when asked, and the output says who has none.
  it('makes --recovery-codes N for each user without codes of its own, printed once, and says who has none', () => {
    const site = new CliSite();
    const csv = file(site, 'users.csv', `1001,4321,${SECRET}\n1002,,${OTHER}\n`);
    const ga = file(site, 'ga-bob', `${OTHER}\n" TOTP_AUTH\n12345678\n87654321\n`);

    const bare = site.cli(['import', csv]);
    expect(bare.status, bare.stderr).toBe(0);
    expect(bare.stdout).toBe(
      'Imported 2 users; 1 without a PIN (passing only through a profile with ask_pin = no); 2 without recovery codes (astotp recovery USER makes a set).\n',
    );

    const r = site.cli(['import', csv, '--google-authenticator', `1003=${ga}`, '--force', '--recovery-codes', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Imported 3 users \(2 replaced\); 2 without a PIN \(passing only through a profile with ask_pin = no\)\.$/m);
    expect(r.stdout).toContain('Recovery codes for 2 users, each good for one call: at the code prompt, type * and then one of them.\n');
    const rows = [...r.stdout.matchAll(/^(100\d) +((?:\d{8} ?){3})$/gm)].map((m) => [m[1], m[2]!.trim().split(' ')] as const);
    expect(rows.map(([id, codes]) => [id, codes.length])).toEqual([
      ['1001', 3],
      ['1002', 3],
    ]);
    // Each works once, on the phone's terms; the google-authenticator user kept its scratch codes instead.
    const [, codes] = rows[1]!;
    expect(site.cli(['verify', '1002', `*${codes[0]}`]).stdout).toBe('SUCCESS\n');
    expect(site.cli(['verify', '1002', `*${codes[0]}`]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['show', '1002']).stdout).toMatch(/^recovery: +2 codes left$/m);
    expect(site.cli(['show', '1003']).stdout).toMatch(/^recovery: +2 codes left$/m);
    expect(site.cli(['verify', '1003', '*12345678']).stdout).toBe('SUCCESS\n');

    const j = site.json<{ users: Array<{ user: string; recovery_codes?: string[]; recovery_codes_left: number }> }>([
      'import',
      csv,
      '--force',
      '--recovery-codes',
      '2',
    ]).value;
    expect(j.users.map((u) => [u.user, u.recovery_codes?.length, u.recovery_codes_left])).toEqual([
      ['1001', 2, 2],
      ['1002', 2, 2],
    ]);
    expect(site.cli(['verify', '1001', `*${j.users[0]!.recovery_codes![1]}`]).stdout).toBe('SUCCESS\n');
    expect(site.cli(['import', csv, '--force', '--recovery-codes', '21']).status).toBe(2);
  });

  it('imports google-authenticator-libpam files, and refuses counter-based ones', () => {
    const site = new CliSite();
    const ga = file(
      site,
      'ga-bob',
      `${OTHER}\n" RATE_LIMIT 3 30 1700000000\n" WINDOW_SIZE 17\n" DISALLOW_REUSE 56666666\n" TOTP_AUTH\n12345678\n87654321\n`,
    );
    const hotp = file(site, 'ga-eve', `${SECRET}\n" HOTP_COUNTER 1\n11111111\n`);
    const bad = site.cli(['import', '--google-authenticator', `1001=${ga}`, '--google-authenticator', `1002=${hotp}`]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${hotp} line 2: HOTP_COUNTER: counter-based codes (HOTP)`);
    // Refused before anything was opened: not even a database was made.
    expect(existsSync(site.db)).toBe(false);

    const r = site.cli(['import', '--google-authenticator', `1001=${ga}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Imported 1 user; 1 without a PIN/);
    expect(r.stderr).not.toMatch(/12345678|87654321/);
    expect(site.cli(['verify', '1001', totp(OTHER)]).stdout).toBe('SUCCESS\n');
    // The scratch codes the user has on paper are its recovery codes now, each good once.
    expect(site.cli(['show', '1001']).stdout).toMatch(/^recovery: +2 codes left$/m);
    expect(site.cli(['verify', '1001', '*87654321']).stdout).toBe('SUCCESS\n');
    expect(site.cli(['verify', '1001', '*87654321']).stdout).toBe('FAILURE (bad-credentials)\n');
  });
});

describe('astotp export', () => {
  it('writes CSV that import reads back; secrets only with --reveal-secret', async () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    site.enroll('1002', null, OTHER);
    const plain = site.cli(['export']);
    expect(plain).toMatchObject({
      status: 0,
      stdout: 'user,pin,secret,algorithm,digits,period,name,email,language\n1001,,,SHA1,6,30,,,\n1002,,,SHA1,6,30,,,\n',
    });
    expect(errOf(plain)).toBe('');

    const out = join(tempDir('astotp-export-'), 'users.csv');
    const r = site.cli(['export', '--reveal-secret', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('warning: the export holds the TOTP secrets of 2 users in plain text');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    expect(text).toBe(
      `user,pin,secret,algorithm,digits,period,name,email,language\n1001,,${SECRET},SHA1,6,30,,,\n1002,,${OTHER},SHA1,6,30,,,\n`,
    );
    // Never over an existing file.
    const twice = site.cli(['export', '--reveal-secret', '--out', out]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain(`cannot create ${out}: it exists already`);
    expect(readFileSync(out, 'utf8')).toBe(text);
    // The reveal is on record.
    expect(site.json<Array<{ reason: string; detail: string }>>(['log', '--admin']).value.at(-1)).toMatchObject({
      reason: 'export',
      detail: expect.stringMatching(/^export \(secrets of 2 users revealed to .*\) by /),
    });

    const json = site.json<Array<{ user: string; pin: boolean; secret: string; uri: string }>>(['export', '--reveal-secret']).value;
    expect(json.map((u) => [u.user, u.pin, u.secret])).toEqual([
      ['1001', true, SECRET],
      ['1002', false, OTHER],
    ]);

    // Another site takes the users over, without their PINs (only hashes exist).
    const moved = new CliSite();
    expect(moved.cli(['import', out]).status).toBe(0);
    expect(moved.cli(['verify', '1002', totp(OTHER)]).stdout).toBe('SUCCESS\n');
    expect(moved.json<Array<{ id: string; pin: boolean }>>(['list']).value.map((u) => [u.id, u.pin])).toEqual([
      ['1001', false],
      ['1002', false],
    ]);
  });

  // Issue 19 item 15: README says what an export leaves out, and that is what an import elsewhere lacks.
  it('leaves out PINs, recovery codes, counters and the disabled state, as README says', () => {
    const site = new CliSite();
    for (const id of ['1001', '1002', '1003']) site.enroll(id, '4321');
    const used = totp();
    expect(site.cli(['verify', '1001', used]).stdout).toBe('SUCCESS\n');
    expect(site.cli(['verify', '1001', wrongCode()]).status).toBe(1);
    expect(site.cli(['disable', '1002']).status).toBe(0);
    for (let i = 0; i < 5; i++) site.cli(['verify', '1003', wrongCode()]);
    type View = { id: string; enabled: boolean; pin: boolean; failures: number; locked_until: string | null; recovery_codes_left: number };
    const state = (s: Site) =>
      (JSON.parse(s.cli(['list', '--json']).stdout) as View[]).map((u) => [
        u.id,
        u.enabled,
        u.pin,
        u.failures,
        u.locked_until !== null,
        u.recovery_codes_left,
      ]);
    expect(state(site)).toEqual([
      ['1001', true, true, 1, false, 5],
      ['1002', false, true, 0, false, 5],
      ['1003', true, true, 0, true, 5],
    ]);
    const out = join(tempDir('astotp-export-'), 'users.csv');
    expect(site.cli(['export', '--reveal-secret', '--out', out]).status).toBe(0);

    const moved = new CliSite();
    expect(moved.cli(['import', out]).status).toBe(0);
    expect(state(moved)).toEqual([
      ['1001', true, false, 0, false, 0],
      ['1002', true, false, 0, false, 0],
      ['1003', true, false, 0, false, 0],
    ]);
    // No replay mark came along: the code used on the old site is good once more on the new one.
    expect(moved.cli(['verify', '1001', used]).stdout).toBe('SUCCESS\n');

    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const said = [
      '**What export leaves out.**',
      '- PINs: only their hashes exist',
      '- Recovery codes: only their HMACs exist',
      '- Counters: failure counts, locks, the replay mark',
      '- Whether a user is disabled',
      '`astotp migrate` copies every one of them',
    ];
    expect(said.filter((s) => !readme.includes(s))).toEqual([]);
  });

  // Issue 19 item 6: a spreadsheet runs a field starting with = + - @ tab or CR as a formula.
  it("writes a ' before every field a spreadsheet would run as a formula, and import takes exactly that away", () => {
    const site = new CliSite();
    const formulas = ['+1+1', '-1001', '@ops', '+4930123456'];
    for (const id of formulas) {
      // After --: -1001 is an ID, not an option.
      const r = site.cli(['enroll', '--secret', SECRET, '--no-confirm', '--qr', 'none', '--no-pin', '--allow-untypable', '--', id]);
      expect(r.status, r.stderr).toBe(0);
    }
    site.enroll('1002', null, OTHER);
    const out = join(tempDir('astotp-export-'), 'users.csv');
    expect(site.cli(['export', '--reveal-secret', '--out', out]).status).toBe(0);
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n').slice(1, -1);
    expect(lines.sort()).toEqual([...formulas.map((id) => `'${id},,${SECRET},SHA1,6,30,,,`), `1002,,${OTHER},SHA1,6,30,,,`].sort());
    // No field of the file starts a formula.
    expect(lines.flatMap((l) => l.split(',')).filter((f) => /^[=+\-@\t\r]/.test(f))).toEqual([]);

    // Read back by another site: the same users, which log in; its export is the same file.
    const moved = new CliSite();
    const r = moved.cli(['import', out, '--allow-untypable']);
    expect(r.status, r.stderr).toBe(0);
    expect(ids(moved).sort()).toEqual([...formulas, '1002'].sort());
    expect(moved.cli(['verify', '+1+1', totp()]).stdout).toBe('SUCCESS\n');
    expect(moved.cli(['verify', '--', '-1001', totp()]).stdout).toBe('SUCCESS\n');
    expect(moved.cli(['export', '--reveal-secret']).stdout).toBe(text);
  });

  it.runIf(process.geteuid?.() === 0)('as root with a database owned by another user, reads and writes the admin files as root', () => {
    const site = new CliSite();
    for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
    chownSync(site.varDir, NOBODY, NOBODY);
    // A directory only root may enter: the database owner could neither read the input nor write the export there.
    const mine = tempDir('astotp-root-only-');
    chmodSync(mine, 0o700);
    const input = join(mine, 'users.csv');
    writeFileSync(input, `1001,4321,${SECRET}\n`, { mode: 0o600 });
    const r = site.cli(['import', input]);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(site.db).uid).toBe(NOBODY);

    const out = join(mine, 'export.csv');
    const e = site.cli(['export', '--reveal-secret', '--out', out]);
    expect(e.status, e.stderr).toBe(0);
    const st = statSync(out);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o600]);
    expect(readFileSync(out, 'utf8')).toContain(SECRET);
    // The export's audit row was written after the file, as the owner again: every file of the database stays its own.
    expect(site.json<Array<{ reason: string }>>(['log', '--admin']).value.map((e) => e.reason)).toEqual(['import', 'export']);
    for (const f of readdirSync(site.varDir)) expect([f, statSync(join(site.varDir, f)).uid]).toEqual([f, NOBODY]);
  });
});

describe('the CSV export writes and import reads', () => {
  it("reads every field back as written: formula starts, a ' of its own, quotes and commas", () => {
    const values = [
      '+1+1',
      '=HYPERLINK("http://x","y")',
      '-2',
      '@SUM(A1)',
      '\tTAB',
      '\rCR',
      "'quoted",
      "''twice",
      'a,b',
      'plain',
      "mid'dle",
    ];
    for (let i = 0; i < values.length; i += CSV_COLUMNS.length) {
      const row = values.slice(i, i + CSV_COLUMNS.length);
      const line = row.map(csvField).join(',');
      // What a spreadsheet sees first in each cell: never the start of a formula.
      for (const cell of row.map(csvField)) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
      const { records, errors } = parseCsv(`${line}\n`);
      expect(errors).toEqual([]);
      expect(records[0]!.fields).toEqual(Object.fromEntries(row.map((v, k) => [CSV_COLUMNS[k], v])));
    }
  });
});

describePostgres('astotp import and export on PostgreSQL', () => {
  const server = usePostgres();

  it('imports, refuses wrong lines whole, and exports', async () => {
    const site = new PgSite(server());
    await importAndLogIn(site);
    refusesBadLines(site);
    const r = site.cli(['export', '--reveal-secret']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`1002,,${OTHER},SHA1,6,30,,,\n`);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1 + 4);
    // Recovery codes made by an import are written in the same batch on this store too.
    const more = site.cli(['import', file(site, 'more.csv', `3001,,${SECRET}\n`), '--recovery-codes', '2', '--json']);
    const codes = (JSON.parse(more.stdout) as { users: Array<{ recovery_codes: string[] }> }).users[0]!.recovery_codes;
    expect(site.cli(['verify', '3001', `*${codes[1]}`]).stdout).toBe('SUCCESS\n');
    expect(site.cli(['show', '3001']).stdout).toMatch(/^recovery: +1 code left$/m);
  });
});
