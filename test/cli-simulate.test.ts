// astotp simulate: the real call flow with piped digits as the phone.
import { describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { SECRET, totp, wrongCode } from './helpers/site.js';

function setLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('SET '));
}

describe('astotp simulate', () => {
  it('succeeds with the right ID, PIN and code, after setting FAILURE first', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const r = site.cli(['simulate', '--callerid', '5551234'], `1001\n4321#\n${totp()}\n`);
    expect(r.status).toBe(0);
    expect(setLines(r.stdout)).toEqual(['SET ASTOTP=FAILURE', 'SET ASTOTP_REASON=ok', 'SET ASTOTP_USER=1001', 'SET ASTOTP=SUCCESS']);
    expect(r.stdout).toMatch(/^GET DATA otp\/astotp-enter-id\b/m);
    expect(r.stdout).toMatch(/^GET DATA otp\/astotp-enter-pin\b/m);
    expect(r.stdout).toMatch(/^GET DATA otp\/astotp-enter-code\b/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Call ended: ASTOTP=SUCCESS for user 1001.');
    const log = site.json<Array<{ source: string; caller_id: string; channel: string; result: string }>>(['log']).value;
    expect(log.at(-1)).toMatchObject({ source: 'simulate', caller_id: '5551234', channel: 'Console/simulate', result: 'SUCCESS' });
  });

  it('fails with wrong codes on every try and never sets SUCCESS', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const bad = wrongCode();
    const r = site.cli(['simulate'], `1001\n4321\n${bad}\n`.repeat(3));
    expect(r.status).toBe(1);
    expect(setLines(r.stdout)).toEqual(['SET ASTOTP=FAILURE', 'SET ASTOTP_REASON=bad-credentials', 'SET ASTOTP_USER=']);
    expect(r.stdout).toMatch(/^PLAY otp\/astotp-failed/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Call ended: ASTOTP=FAILURE (bad-credentials).');
  });

  it('takes * and a recovery code on one line, as a phone sends the keys typed in one go', () => {
    const site = new CliSite();
    const r0 = site.cli(['enroll', '1001', '--secret', SECRET, '--no-confirm', '--json'], '4321\n');
    const [code] = (JSON.parse(r0.stdout) as { recovery_codes: string[] }).recovery_codes;
    const r = site.cli(['simulate'], `1001\n4321\n*${code}\n`);
    expect(r.status, r.stdout).toBe(0);
    expect(setLines(r.stdout).at(-1)).toBe('SET ASTOTP=SUCCESS');
    // The code prompt takes 6 keys; the other 3 are read on from what was typed, with no line of their own.
    expect(r.stdout).toMatch(/^GET DATA otp\/astotp-enter-code\b.*\[up to 6 digits/m);
    expect(r.stdout).toMatch(/^GET DATA {2}\[up to 3 digits/m);
    const log = site.json<Array<{ detail: string }>>(['log']).value;
    expect(log.at(-1)?.detail).toMatch(/^recovery code ok \(4 left\)/);
    // Keys a prompt does not take wait for the next one, as DTMF does: ID and PIN on one line with #.
    const oneLine = site.cli(['simulate'], `1001#4321#${totp()}\n`);
    expect(oneLine.status, oneLine.stdout).toBe(0);
  });

  it('treats empty lines as timeouts and end of input as a hangup', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const timeouts = site.cli(['simulate'], '\n\n\n');
    expect(timeouts.status).toBe(1);
    expect(timeouts.stdout).toContain('SET ASTOTP_REASON=timeout');
    const hangup = site.cli(['simulate'], '1001\n');
    expect(hangup.status).toBe(1);
    expect(hangup.stdout).toContain('SET ASTOTP_REASON=hangup');
    expect(hangup.stdout).not.toContain('SET ASTOTP=SUCCESS');
  });

  it('takes dialplan arguments: user=... and a profile without PIN skip their prompts', () => {
    const site = new CliSite();
    site.config({}, { door: { ask_pin: 'no' } });
    site.enroll('1001', '4321');
    const r = site.cli(['simulate', 'profile=door', 'user=1001'], `${totp()}\n`);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('GET DATA'))).toEqual([
      expect.stringMatching(/^GET DATA otp\/astotp-enter-code\b/),
    ]);
    expect(r.stdout).toContain('SET ASTOTP=SUCCESS');
  });

  it('rejects an unknown argument as usage, and a missing database as a failure of the call', () => {
    const site = new CliSite();
    expect(site.cli(['simulate', 'colour=blue']).status).toBe(2);
    const r = site.cli(['simulate'], '1001\n4321\n123456\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('SET ASTOTP_REASON=error');
    expect(r.stdout).toMatch(/^SET ASTOTP_ERROR=database .* does not exist/m);
  });
});
