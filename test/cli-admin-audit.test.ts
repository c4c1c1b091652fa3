// Issue 11 item 4: every admin command that changes users leaves an audit
// row naming the target and who ran it (the kernel's login uid, never
// SUDO_USER), shown by astotp log and alone by astotp log --admin; on SQLite
// and on PostgreSQL, through the built bundle.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { PgSite } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { SECRET, totp, wrongCode, type CliResult, type Site } from './helpers/site.js';

vi.setConfig({ testTimeout: 60_000 });

interface Row {
  user: string | null;
  source: string;
  reason: string;
  result: string;
  detail: string;
}

/** A login uid only root may set, and only where the kernel lets it be set again (no loginuid_immutable). */
const canSetLoginUid =
  process.geteuid?.() === 0 && spawnSync('sh', ['-c', 'echo 65534 > /proc/self/loginuid'], { stdio: 'ignore' }).status === 0;

/** The CLI in a session whose login uid is `uid`, as pam_loginuid leaves it after a login, with SUDO_USER claiming someone else. */
function cliAsLogin(site: Site, uid: number, args: string[], input = ''): CliResult {
  const r = spawnSync('sh', ['-c', 'echo "$0" > /proc/self/loginuid && exec "$@"', String(uid), process.execPath, BUNDLE_PATH, ...args], {
    env: { ...site.env, SUDO_USER: 'mallory', LOGNAME: 'mallory' },
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function adminLog(site: Site, extra: string[] = []): Row[] {
  const r = site.cli(['log', '--admin', '--json', '--limit', '1000', ...extra]);
  expect(r.stderr).not.toMatch(/error/i);
  return JSON.parse(r.stdout) as Row[];
}

/** The login name of uid as /etc/passwd has it. */
function passwdName(uid: number): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid));
  return line ? line.split(':')[0]! : `uid ${uid}`;
}

/** Every user-changing command once, through `run`; 1003 ends removed. */
function everyAction(site: Site, run: (args: string[], input?: string) => CliResult): void {
  const ok = (args: string[], input = '') => {
    const r = run(args, input);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  };
  ok(['enroll', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none'], '4321\n');
  ok(['set-pin', '1001'], '9876\n');
  ok(['reset', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none']);
  ok(['disable', '1001']);
  ok(['enable', '1001']);
  ok(['unlock', '1001']);
  const csv = join(site.astDir, 'users.csv');
  writeFileSync(csv, `1002,1234,${SECRET}\n1003,\n`);
  ok(['import', csv]);
  ok(['remove', '1003', '--yes']);
}

const ACTIONS = [
  ['1001', 'enroll'],
  ['1001', 'set-pin'],
  ['1001', 'reset'],
  ['1001', 'disable'],
  ['1001', 'enable'],
  ['1001', 'unlock'],
  ['1002', 'import'],
  ['1003', 'import'],
  ['1003', 'remove'],
];

describe('astotp log --admin', () => {
  it('shows each admin command with its target and actor, and nothing of the calls', async () => {
    const site = new CliSite();
    everyAction(site, (args, input) => site.cli(args, input, { SUDO_USER: 'mallory' }));
    expect(site.cli(['verify', '1001', wrongCode()]).status).toBe(1);
    expect((await site.call({ inputs: ['1002', '1234', totp()] })).variables.ASTOTP).toBe('SUCCESS');

    const rows = adminLog(site);
    expect(rows.map((r) => [r.user, r.reason])).toEqual(ACTIONS);
    for (const r of rows) {
      expect(r).toMatchObject({ source: 'admin', result: 'SUCCESS' });
      // Who, as the kernel knows it; what SUDO_USER says counts for nothing.
      expect(r.detail).toMatch(
        new RegExp(`^${r.reason}( \\(.*\\))? by \\S+ \\((loginuid \\d+|no login uid), uid ${process.getuid?.()}\\)$`),
      );
      expect(r.detail).not.toContain('mallory');
    }
    expect(rows[6]!.detail).toMatch(/^import \(from .*users\.csv line 1\) by /);
    // Secrets and PINs are no part of a row.
    expect(rows.map((r) => r.detail).join('\n')).not.toMatch(new RegExp(`${SECRET}|4321|9876|1234`));

    // The full log holds them among the calls; --user finds a target's.
    const all = site.json<Row[]>(['log', '--limit', '1000']).value;
    expect(all.map((r) => r.source)).toEqual([...ACTIONS.map(() => 'admin'), 'cli', 'agi']);
    expect(site.json<Row[]>(['log', '--user', '1003']).value.map((r) => r.reason)).toEqual(['import', 'remove']);
    expect(site.cli(['log', '--admin']).stdout).toMatch(/1001 +SUCCESS +disable +admin /);
  });

  it('records nothing when a command changes nothing', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    expect(site.cli(['disable', '1002']).status).toBe(1);
    expect(site.cli(['unlock', '1002']).status).toBe(1);
    expect(site.cli(['enroll', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none', '--no-pin']).status).toBe(1);
    expect(adminLog(site).map((r) => r.reason)).toEqual(['enroll']);
  });

  it.runIf(canSetLoginUid)('names the login behind sudo by its login uid, not SUDO_USER', () => {
    const site = new CliSite();
    const r = cliAsLogin(site, 65534, ['enroll', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none', '--no-pin']);
    expect(r.status, r.stderr).toBe(0);
    expect(adminLog(site)[0]!.detail).toBe(`enroll (no PIN) by ${passwdName(65534)} (loginuid 65534, uid 0)`);
    // 4294967295: no login set it (a daemon, a container).
    const unset = cliAsLogin(site, 4294967295, ['disable', '1001']);
    expect(unset.status, unset.stderr).toBe(0);
    expect(adminLog(site)[1]!.detail).toBe(`disable by ${passwdName(0)} (no login uid, uid 0)`);
  });
});

describePostgres('astotp log --admin on PostgreSQL', () => {
  const server = usePostgres();

  it('shows each admin command, written by any PBX of the site', () => {
    const a = new PgSite(server());
    everyAction(a, (args, input) => a.cli(args, input, { SUDO_USER: 'mallory' }));
    const b = a.sibling('pbx-b');
    expect(b.cli(['disable', '1002']).status).toBe(0);
    const rows = adminLog(a);
    expect(rows.map((r) => [r.user, r.reason])).toEqual([...ACTIONS, ['1002', 'disable']]);
    expect(rows.every((r) => r.source === 'admin' && !r.detail.includes('mallory'))).toBe(true);
    expect(adminLog(b, ['--pbx', 'pbx-b']).map((r) => r.reason)).toEqual(['disable']);
  });
});
