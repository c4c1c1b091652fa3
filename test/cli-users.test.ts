// The user-management commands through the built bundle: replay, lockout,
// state changes, removal that never deletes on a typo, and the audit log.
import { describe, expect, it } from 'vitest';
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
    expect(table.stdout.split('\n')[0]).toMatch(/^USER\s+ENABLED\s+LOCKED UNTIL\s+FAILURES\s+LAST SUCCESS\s+CREATED$/);
    expect(table.stdout).toMatch(/^1002\s+yes\s+-\s+0\s+-\s+\d{4}-/m);
    const { value } = site.json<UserJson[]>(['list']);
    expect(value.map((u) => [u.id, u.pin])).toEqual([['1001', true], ['1002', false]]);
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
    const { value } = site.json<Array<{ user: string; result: string; reason: string; source: string; time: string }>>(['log', '--user', '1001', '--since', '-1h']);
    expect(value.map((e) => [e.user, e.result, e.source])).toEqual([
      ['1001', 'FAILURE', 'cli'],
      ['1001', 'SUCCESS', 'cli'],
    ]);
    expect(Date.parse(value[0]!.time)).toBeGreaterThan(Date.now() - 3_600_000);
    const text = site.cli(['log']);
    expect(text.stdout.trim().split('\n')).toHaveLength(4);
    // Unix times are left out: a 6-digit code could be part of one by chance.
    const said = text.stdout + JSON.stringify(value.map((e) => ({ ...e, at: undefined })));
    expect(said).not.toMatch(new RegExp(`${bad}|${good}`));
    expect(site.json<unknown[]>(['log', '--since', '2999-01-01']).value).toEqual([]);
    expect(site.json<unknown[]>(['log', '--limit', '1']).value).toHaveLength(1);
  });
});
