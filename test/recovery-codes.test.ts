// Recovery codes through the built bundle, as a caller who lost the phone
// and an admin see them: * and a code at the code prompt, judged with the
// PIN, each code good for one call; enroll, recovery, list, show, remove and
// migrate on a real SQLite file.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { CallResult } from './helpers/asterisk-peer.js';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { CODE, FAILED, ID, PIN } from './helpers/prompts.js';
import { SECRET, Site, totp, recoveryEntry } from './helpers/site.js';

// Several bundle runs per test on two shared cores.
vi.setConfig({ testTimeout: 60_000 });

interface UserJson {
  id: string;
  locked_until: string | null;
  recovery_codes_left: number;
}

function newSite(conf: Record<string, string | number> = {}): Site {
  const site = new Site();
  onTestFinished(() => site.remove());
  site.config({ timeout: 5, tries: 1, ...conf });
  return site;
}

/** Enrolls with --json and returns the recovery codes it printed. */
function enroll(site: Site, user: string, pin: string, extra: string[] = []): string[] {
  const r = site.cli(['enroll', user, '--secret', SECRET, '--no-confirm', '--json', ...extra], `${pin}\n`);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { recovery_codes: string[] }).recovery_codes;
}

/** The caller types * and the code: GET DATA stops at the site's digits, the rest is typed into the next one. */
const typed = recoveryEntry;

const users = (site: Site) => JSON.parse(site.cli(['list', '--json']).stdout) as UserJson[];
const lastDetail = (site: Site) => (JSON.parse(site.cli(['log', '--json']).stdout) as Array<{ detail: string }>).at(-1)!.detail;

function expectNothingSaid(r: CallResult, secrets: string[]): void {
  const said = [...r.commands.filter((c) => !c.startsWith('GET DATA')), ...r.verbose, r.stderr].join('\n');
  for (const s of secrets) expect(said).not.toContain(s);
}

describe('recovery codes at the code prompt', () => {
  it('let a caller in once with the PIN and * and a code, then never again with that code', async () => {
    const site = newSite();
    const codes = enroll(site, '1001', '4321');
    expect(codes).toHaveLength(5);
    for (const c of codes) expect(c).toMatch(/^\d{8}$/);
    expect(new Set(codes).size).toBe(5);

    const ok = await site.call({ inputs: ['1001', '4321', ...typed(codes[0]!)] });
    expect(ok.violations).toEqual([]);
    // The code prompt, then the rest of the entry read without a prompt.
    expect(ok.prompts).toEqual([ID, PIN, CODE, '']);
    expect(ok.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
    expect(ok.setLog.at(-1)).toEqual(['ASTOTP', 'SUCCESS']);
    expectNothingSaid(ok, ['4321', codes[0]!]);
    expect(lastDetail(site)).toBe('recovery code ok (4 left)');
    expect(users(site)[0]!.recovery_codes_left).toBe(4);
    expect(site.cli(['show', '1001']).stdout).toMatch(/^recovery:\s+4 codes left$/m);

    const again = await site.call({ inputs: ['1001', '4321', ...typed(codes[0]!)] });
    expectFailedClosed(again, 'bad-credentials');
    expect(again.prompts).toEqual([ID, PIN, CODE, '', FAILED]);
    expect(lastDetail(site)).toMatch(/^recovery code used \d{4}-/);
    // The TOTP code still works: a recovery login leaves its replay mark alone.
    expect((await site.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('SUCCESS');
  });

  it('judge the PIN as usual, and use up a right code typed with a wrong PIN: whoever heard it gets nothing', async () => {
    const site = newSite();
    const [code, other] = enroll(site, '1001', '4321');
    const wrongPin = await site.call({ inputs: ['1001', '9999', ...typed(code!)] });
    expectFailedClosed(wrongPin, 'bad-credentials');
    expect(lastDetail(site)).toBe('wrong PIN, recovery code used up');
    expect(users(site)[0]!.recovery_codes_left).toBe(4);
    expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(code!)] }), 'bad-credentials');
    // The caller heard what any failure sounds like; another code still works with the right PIN.
    expect(wrongPin.prompts).toEqual([ID, PIN, CODE, '', FAILED]);
    expect((await site.call({ inputs: ['1001', '4321', ...typed(other!)] })).variables.ASTOTP).toBe('SUCCESS');
  });

  it('count a wrong code towards the lockout', async () => {
    const site = newSite({ lockout_failures: 2 });
    const codes = enroll(site, '1001', '4321');
    const wrong = String((Number(codes[0]) + 1) % 100_000_000).padStart(8, '0');
    expect(codes).not.toContain(wrong);
    expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(wrong)] }), 'bad-credentials');
    expect(lastDetail(site)).toBe('wrong recovery code');
    expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(wrong)] }), 'bad-credentials');
    expect(users(site)[0]!.locked_until).not.toBeNull();
    // Locked: a right code is refused too, and stays unused.
    expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(codes[1]!)] }), 'locked');
    expect(users(site)[0]!.recovery_codes_left).toBe(5);
  });

  it('read the rest of the entry when codes have 8 digits, and take an 8-digit TOTP code in one', async () => {
    const site = newSite({ digits: 8 });
    const [code] = enroll(site, '1001', '4321', ['--digits', '8']);
    const r = await site.call({ inputs: ['1001', '4321', ...typed(code!, 8)] });
    expect(r.prompts).toEqual([ID, PIN, CODE, '']);
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    const normal = await site.call({ inputs: ['1001', '4321', totp(SECRET, { digits: 8 })] });
    expect(normal.prompts).toEqual([ID, PIN, CODE]);
    expect(normal.variables.ASTOTP).toBe('SUCCESS');
  });

  it('take a * entry ended early with # as a wrong code, without waiting for more', async () => {
    const site = newSite();
    enroll(site, '1001', '4321');
    const r = await site.call({ inputs: ['1001', '4321', '*1234#'] });
    expect(r.prompts).toEqual([ID, PIN, CODE, FAILED]);
    expectFailedClosed(r, 'bad-credentials');
    expect(lastDetail(site)).toBe('wrong recovery code');
  });
});

describe('astotp recovery, enroll, remove and migrate', () => {
  it('recovery makes a new set and the old one dies; --count 0 leaves none', async () => {
    const site = newSite();
    const old = enroll(site, '1001', '4321');
    const r = site.cli(['recovery', '1001', '--count', '3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const fresh = (JSON.parse(r.stdout) as { user: string; recovery_codes: string[] }).recovery_codes;
    expect(fresh).toHaveLength(3);
    expect(users(site)[0]!.recovery_codes_left).toBe(3);
    expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(old[1]!)] }), 'bad-credentials');
    expect(lastDetail(site)).toBe('wrong recovery code');
    expect((await site.call({ inputs: ['1001', '4321', ...typed(fresh[0]!)] })).variables.ASTOTP).toBe('SUCCESS');

    const text = site.cli(['recovery', '1001']);
    expect(text.stdout).toMatch(/type \* and then one of them/);
    const printed = [...text.stdout.matchAll(/^ {2}(\d{8})$/gm)].map((m) => m[1]);
    expect(printed).toHaveLength(5);
    expect(site.cli(['recovery', '1001', '--count', '0']).status).toBe(0);
    expect(users(site)[0]!.recovery_codes_left).toBe(0);
    expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(printed[0]!)] }), 'bad-credentials');
    expect(site.cli(['recovery', '1002']).stderr).toMatch(/no user 1002/);
  });

  it('enroll --recovery-codes 0 makes none; removing a user removes its codes, also as an older astotp removes it', async () => {
    const site = newSite();
    expect(enroll(site, '1002', '4321', ['--recovery-codes', '0'])).toEqual([]);
    expect(users(site)[0]!.recovery_codes_left).toBe(0);
    const codesLeft = () => {
      const db = new Database(site.db, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM recovery_codes WHERE user_id = '1001'").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const old = enroll(site, '1001', '4321');
    expect(site.cli(['remove', '1001', '--yes']).status).toBe(0);
    expect(codesLeft()).toBe(0);
    // astotp of schema 3 removes with this statement, on a connection that enables foreign keys as every astotp does.
    enroll(site, '1001', '4321');
    const older = new Database(site.db);
    older.pragma('foreign_keys = ON');
    older.prepare('DELETE FROM users WHERE id = ?').run('1001');
    older.close();
    expect(codesLeft()).toBe(0);
    // enroll --force replaces the user and its codes alike.
    const before = enroll(site, '1001', '4321');
    expect(codesLeft()).toBe(5);
    enroll(site, '1001', '4321', ['--force']);
    expect(codesLeft()).toBe(5);
    for (const c of [old[0]!, before[0]!])
      expectFailedClosed(await site.call({ inputs: ['1001', '4321', ...typed(c)] }), 'bad-credentials');
  });

  it('reset keeps the codes', async () => {
    const site = newSite();
    const [code] = enroll(site, '1001', '4321');
    expect(site.cli(['reset', '1001', '--no-confirm', '--qr', 'none']).status).toBe(0);
    expect((await site.call({ inputs: ['1001', '4321', ...typed(code!)] })).variables.ASTOTP).toBe('SUCCESS');
  });

  it('migrate copies the codes as they are, used ones too, and they work on the copy', async () => {
    const site = newSite();
    const codes = enroll(site, '1001', '4321');
    expect((await site.call({ inputs: ['1001', '4321', ...typed(codes[0]!)] })).variables.ASTOTP).toBe('SUCCESS');
    const copy = join(site.varDir, 'copy.sqlite3');
    const r = site.cli(['migrate', '--to', copy]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recovery_codes: 5 read, 5 written/);
    const rows = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT * FROM recovery_codes ORDER BY user_id, hash').all();
      } finally {
        db.close();
      }
    };
    expect(rows(copy)).toEqual(rows(site.db));
    // The PBX switched over to the copy: the used code stays used, another one works.
    const pbx = newSite();
    pbx.config({ timeout: 5, tries: 1, db: copy, key_file: site.keyFile });
    expectFailedClosed(await pbx.call({ inputs: ['1001', '4321', ...typed(codes[0]!)] }), 'bad-credentials');
    expect((await pbx.call({ inputs: ['1001', '4321', ...typed(codes[1]!)] })).variables.ASTOTP).toBe('SUCCESS');
  });
});
