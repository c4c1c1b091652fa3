// The user-management commands through the built bundle: replay, lockout,
// state changes, removal that never deletes on a typo, and the audit log.
import { describe, expect, it, onTestFinished } from 'vitest';
import type { UserView } from '../src/cli/user-view.js';
import { CliSite } from './helpers/cli-site.js';
import { SECRET, totp, wrongCode } from './helpers/site.js';

type UserJson = Pick<UserView, 'id' | 'enabled' | 'locked_until' | 'failures' | 'last_success' | 'created' | 'pin'>;

describe('astotp verify', () => {
  it('accepts a code once', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const code = totp();
    const first = site.cli(['verify', '1001', code]);
    expect([first.stdout, first.status]).toEqual(['SUCCESS\n', 0]);
    const again = site.cli(['verify', '1001', code]);
    expect([again.stdout, again.status]).toEqual(['FAILURE (bad-credentials)\n', 1]);
    expect(again.stderr).toContain('replayed code');
  });

  it('locks after 5 failures even for the right code, until unlock', () => {
    const site = new CliSite();
    site.enroll('1001', null);
    for (let i = 0; i < 5; i++) expect(site.cli(['verify', '1001', wrongCode()]).stdout).toBe('FAILURE (bad-credentials)\n');
    const locked = site.cli(['verify', '1001', totp()]);
    expect([locked.stdout, locked.status]).toEqual(['FAILURE (locked)\n', 1]);
    expect(site.json<UserJson>(['show', '1001']).value.locked_until).not.toBeNull();
    expect(site.json<UserJson[]>(['list']).value[0]!.locked_until).not.toBeNull();

    expect(site.cli(['unlock', '1001'])).toMatchObject({ status: 0, stdout: 'User 1001 unlocked.\n' });
    expect(site.json<UserJson>(['show', '1001']).value).toMatchObject({ locked_until: null, failures: 0 });
    expect(site.cli(['verify', '1001', totp(SECRET, { offset: 30 })]).stdout).toBe('SUCCESS\n');
  });

  it('fails an unknown user like a wrong code, and rejects a malformed code as usage', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    expect(site.cli(['verify', '1002', totp()])).toMatchObject({ status: 1, stdout: 'FAILURE (bad-credentials)\n' });
    expect(site.cli(['verify', '1001', '12ab56'])).toMatchObject({ status: 2 });
  });
});

describe('astotp disable, enable, set-pin', () => {
  it('refuses a disabled user until it is enabled again', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    expect(site.cli(['disable', '1001']).status).toBe(0);
    expect(site.json<UserJson>(['show', '1001']).value.enabled).toBe(false);
    expect(site.cli(['verify', '1001', totp()]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['enable', '1001']).status).toBe(0);
    expect(site.cli(['verify', '1001', totp(SECRET, { offset: 30 })]).stdout).toBe('SUCCESS\n');
  });

  it('changes and clears the PIN', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    expect(site.cli(['set-pin', '1001'], '987654\n')).toMatchObject({ status: 0, stdout: 'PIN of 1001 changed.\n' });
    expect(site.cli(['set-pin', '1001'], '98\n').status).toBe(1);
    expect(site.json<UserJson>(['show', '1001']).value.pin).toBe(true);
    expect(site.cli(['set-pin', '1001', '--no-pin']).status).toBe(0);
    expect(site.json<UserJson>(['show', '1001']).value.pin).toBe(false);
  });

  it('fails for an unknown user without touching the others', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    for (const args of [['disable'], ['enable'], ['unlock'], ['set-pin', '--no-pin'], ['show'], ['reset', '--no-confirm']]) {
      const r = site.cli([args[0]!, '1002', ...args.slice(1)]);
      expect([args[0], r.status]).toEqual([args[0], 1]);
      expect(r.stderr).toMatch(/^astotp: no user 1002 in /m);
    }
    expect(site.json<UserJson[]>(['list']).value.map((u) => [u.id, u.enabled])).toEqual([['1001', true]]);
  });
});

describe('astotp remove', () => {
  it('never deletes on a typo, needs --yes without a terminal, and removes only the named user', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    site.enroll('1002', '4321');
    const typo = site.cli(['remove', '1003', '--yes']);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toMatch(/no user 1003/);
    const unasked = site.cli(['remove', '1001']);
    expect(unasked.status).toBe(2);
    expect(unasked.stderr).toMatch(/--yes/);
    expect(site.json<UserJson[]>(['list']).value.map((u) => u.id)).toEqual(['1001', '1002']);
    expect(site.cli(['remove', '1001', '--yes'])).toMatchObject({ status: 0, stdout: 'User 1001 removed.\n' });
    expect(site.json<UserJson[]>(['list']).value.map((u) => u.id)).toEqual(['1002']);
  });
});

describe('astotp list, show, log', () => {
  it('lists users as a table and as JSON without secrets', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    site.enroll('1002', null);
    const table = site.cli(['list']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^USER\s+NAME\s+ENABLED\s+LOCKED UNTIL\s+FAILURES\s+RIGHT PIN\s+RECOVERY\s+LAST SUCCESS\s+CREATED$/,
    );
    expect(table.stdout).toMatch(/^1002\s+-\s+yes\s+-\s+0\s+0\s+5\s+-\s+\d{4}-/m);
    const { value } = site.json<UserJson[]>(['list']);
    expect(value.map((u) => [u.id, u.pin])).toEqual([
      ['1001', true],
      ['1002', false],
    ]);
    expect(JSON.stringify(value)).not.toContain(SECRET);
  });

  it('shows the secret only with --reveal-secret', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const plain = site.cli(['show', '1001']);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^user:\s+1001$/m);
    expect(plain.stdout).not.toContain(SECRET);
    expect(site.json(['show', '1001']).result.stdout).not.toContain(SECRET);
    const revealed = site.cli(['show', '1001', '--reveal-secret', '--qr', 'ascii']);
    expect(revealed.stdout).toContain(`otpauth://totp/Asterisk:1001?secret=${SECRET}&issuer=Asterisk`);
    expect(revealed.stdout).toContain('##');
    expect(site.json<{ secret: string }>(['show', '1001', '--reveal-secret']).value.secret).toBe(SECRET);
  });

  it('logs verifications without the codes, filtered by user and time', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    site.enroll('1002', '4321');
    const bad = wrongCode();
    const good = totp();
    site.cli(['verify', '1001', bad]);
    site.cli(['verify', '1001', good]);
    site.cli(['verify', '1002', bad]);
    const { value } = site.json<Array<{ user: string; result: string; reason: string; source: string; time: string }>>([
      'log',
      '--user',
      '1001',
      '--since',
      '-1h',
    ]);
    expect(value.map((e) => [e.user, e.result, e.source])).toEqual([
      ['1001', 'SUCCESS', 'admin'],
      ['1001', 'FAILURE', 'cli'],
      ['1001', 'SUCCESS', 'cli'],
    ]);
    expect(Date.parse(value[0]!.time)).toBeGreaterThan(Date.now() - 3_600_000);
    const text = site.cli(['log']);
    // A header, the two enroll commands and the three verifications.
    expect(text.stdout.trim().split('\n')).toHaveLength(6);
    // Unix times are left out: a 6-digit code could be part of one by chance.
    const said = text.stdout + JSON.stringify(value.map((e) => ({ ...e, at: undefined })));
    expect(said).not.toMatch(new RegExp(`${bad}|${good}`));
    expect(site.json<unknown[]>(['log', '--since', '2999-01-01']).value).toEqual([]);
    expect(site.json<unknown[]>(['log', '--limit', '1']).value).toHaveLength(1);
  });
});

describe('what the admin is told', () => {
  /** How astotp shows a time everywhere: UTC, labelled. */
  const utc = (unix: number) => `${new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  // Far from UTC, so a time shown in local time could not pass for UTC.
  const elsewhere = { TZ: 'America/New_York' };

  it('logs a code right a few steps outside the window as off by that much, and still refuses it', async () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.enroll('1001', '4321');
    // 4 steps ahead, or 3 if a step ends between oathtool and astotp.
    const ahead = site.cli(['verify', '1001', totp(SECRET, { offset: 120 })]);
    expect([ahead.stdout, ahead.status]).toEqual(['FAILURE (bad-credentials)\n', 1]);
    expect(ahead.stderr).toMatch(/^detail: code off by (4 steps \(120|3 steps \(90) s ahead of this PBX's clock\) on token app$/m);
    const behind = site.cli(['verify', '1001', totp(SECRET, { offset: -90 })]);
    expect(behind.stderr).toMatch(/^detail: code off by (3 steps \(90|2 steps \(60) s behind this PBX's clock\) on token app$/m);
    const { value } = site.json<Array<{ detail: string }>>(['log']);
    expect(value.map((e) => e.detail)).toEqual([
      expect.stringMatching(/^enroll by /),
      expect.stringMatching(/^code off by \d steps \(\d+ s ahead/),
      expect.stringMatching(/^code off by \d steps \(\d+ s behind/),
    ]);
    // The caller hears and gets what any wrong code gets.
    const call = await site.call({ inputs: ['1001', '4321', totp(SECRET, { offset: 120 })] });
    expect(call.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
    expect(JSON.stringify(call.variables) + call.said.join(' ')).not.toMatch(/off by|ahead|behind/);
  });

  it('shows a lock with the failures that started it, and every time in UTC', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.config({ lockout_failures: 2, lockout_minutes: 15 });
    site.enroll('1001', null);
    site.cli(['verify', '1001', wrongCode()]);
    site.cli(['verify', '1001', wrongCode()]);
    const refused = site.cli(['verify', '1001', totp()], '', elsewhere);
    expect(refused.stdout).toBe('FAILURE (locked)\n');

    const log = site.json<Array<{ at: number; detail: string }>>(['log']).value;
    const lockedAt = log[2]!.at;
    const until = utc(lockedAt + 15 * 60);
    expect(log[0]!.detail).toMatch(/^enroll \(no PIN\) by /);
    expect(log[2]!.detail).toBe('wrong code; now locked for 15 min');
    expect(log[3]!.detail).toBe(`locked until ${until}`);
    expect(refused.stderr).toContain(`detail: locked until ${until}\n`);

    const show = site.cli(['show', '1001'], '', elsewhere).stdout;
    expect(show).toContain(`locked until: ${until} (after 2 failures)\n`);
    expect(show).toContain('failures:     0\n');
    expect(show).toMatch(/^created: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
    const list = site.cli(['list'], '', elsewhere).stdout.split('\n');
    expect(list[0]).toMatch(/^USER +NAME +ENABLED +LOCKED UNTIL +FAILURES/);
    expect(list[1]).toContain(`  ${until} (after 2 failures)  0  `);
    expect(site.json<Array<{ locked_after_failures: number | null }>>(['list']).value[0]!.locked_after_failures).toBe(2);
    const logText = site.cli(['log'], '', elsewhere).stdout.split('\n');
    expect(logText[3]).toMatch(new RegExp(`^${utc(lockedAt)}  1001 `));

    expect(site.cli(['unlock', '1001']).status).toBe(0);
    expect(site.cli(['show', '1001']).stdout).toContain('locked until: -\n');
    expect(site.json<Array<{ locked_after_failures: number | null }>>(['list']).value[0]!.locked_after_failures).toBeNull();
  });

  it('reads a --since date-time without a zone as UTC', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.enroll('1001', null);
    site.cli(['verify', '1001', wrongCode()]);
    const at = site.json<Array<{ at: number }>>(['log']).value[1]!.at;
    const minute = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 16);
    // The verification and, a moment before it, the enroll.
    expect(site.json<unknown[]>(['log', '--since', minute(at - 60)], '', elsewhere).value).toHaveLength(2);
    expect(site.json<unknown[]>(['log', '--since', minute(at + 60)], '', elsewhere).value).toHaveLength(0);
  });
});
