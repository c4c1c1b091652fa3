// The built dist/astotp spawned as Asterisk spawns an AGI script, against a
// scripted channel: what the dialplan reads back in ASTOTP* is what matters.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { AGAIN, CODE, FAILED, ID, PIN } from './helpers/prompts.js';
import { SECRET, Site, totp, wrongCode } from './helpers/site.js';

function siteWithUser(conf: Record<string, string | number> = {}): Site {
  const site = new Site();
  site.config({ timeout: 5, ...conf });
  site.enroll('1001', '4321');
  return site;
}

describe('a call through the AGI', () => {
  it('succeeds with the right user ID, PIN and code, after setting FAILURE first', async () => {
    const site = siteWithUser();
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.violations).toEqual([]);
    expect(r.commands[0]).toBe('SET VARIABLE ASTOTP "FAILURE"');
    expect(r.prompts).toEqual([ID, PIN, CODE]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
    // SUCCESS is the last variable set: nothing after it can fail the call half-way.
    expect(r.setLog.at(-1)).toEqual(['ASTOTP', 'SUCCESS']);
    expect(r.exitCode).toBe(0);
  });

  it('fails a wrong PIN, a wrong code and an unknown user with the same prompts', async () => {
    // One site each: six failures in a row would lock the user, rightly.
    const wrongPin = await siteWithUser().call({ inputs: ['1001', '9999', totp(), '1001', '9999', totp(), '1001', '9999', totp()] });
    const badCode = await siteWithUser().call({
      inputs: ['1001', '4321', wrongCode(), '1001', '4321', wrongCode(), '1001', '4321', wrongCode()],
    });
    const unknown = await siteWithUser().call({ inputs: ['2002', '4321', totp(), '2002', '4321', totp(), '2002', '4321', totp()] });
    const expected = [ID, PIN, CODE, AGAIN, ID, PIN, CODE, AGAIN, ID, PIN, CODE, FAILED];
    for (const r of [wrongPin, badCode, unknown]) {
      expect(r.prompts).toEqual(expected);
      expectFailedClosed(r, 'bad-credentials');
    }
  });

  it('never lets a PIN or a code reach stdout, VERBOSE or stderr', async () => {
    const site = siteWithUser();
    const code = totp();
    const r = await site.call({ inputs: ['1001', '4321', code] });
    const said = [...r.commands.filter((c) => !c.startsWith('GET DATA')), ...r.verbose, r.stderr].join('\n');
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    expect(said).not.toContain('4321');
    expect(said).not.toContain(code);
  });

  it('accepts a code only once', async () => {
    const site = siteWithUser({ tries: 1 });
    const code = totp();
    const first = await site.call({ inputs: ['1001', '4321', code] });
    const replay = await site.call({ inputs: ['1001', '4321', code] });
    expect(first.variables.ASTOTP).toBe('SUCCESS');
    expect(replay.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
  });

  it('locks a user after repeated failures, counting wrong PINs, until unlocked', async () => {
    const site = siteWithUser({ tries: 1, lockout_failures: 3 });
    for (let i = 0; i < 3; i++) {
      const r = await site.call({ inputs: ['1001', '0000', totp()] });
      expect(r.variables.ASTOTP_REASON).toBe('bad-credentials');
    }
    const locked = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(locked.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'locked' });
    expect(locked.prompts).toEqual([ID, PIN, CODE, FAILED]);
    expect(site.cli(['unlock', '1001']).status).toBe(0);
    const after = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok' });
  });

  it('ends with reason timeout when the caller types nothing', async () => {
    const site = siteWithUser({ tries: 2 });
    const r = await site.call({ inputs: [] });
    expect(r.prompts).toEqual([ID, AGAIN, ID, FAILED]);
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'timeout' });
    expect(r.commands.find((c) => c.startsWith('GET DATA'))).toBe('GET DATA "otp/astotp-enter-id" 5000 10');
  });

  it('keeps the reason of the last judged try when the caller then goes silent', async () => {
    const site = siteWithUser({ tries: 2, lockout_failures: 1 });
    const r = await site.call({ inputs: ['1001', '0000', totp()] });
    expect(r.prompts).toEqual([ID, PIN, CODE, AGAIN, ID, FAILED]);
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
  });

  it('takes digits typed before a timeout as the answer', async () => {
    const site = siteWithUser();
    const r = await site.call({ inputs: [{ timeout: '1001' }, { timeout: '4321' }, totp()] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
  });

  for (const at of [0, 1, 2]) {
    for (const how of ['sighup', 'eof', 'result'] as const) {
      it(`stops within 1 s without SUCCESS when the caller hangs up at prompt ${at + 1} (${how})`, async () => {
        const site = siteWithUser();
        const typed = ['1001', '4321', totp()].slice(0, at);
        const r = await site.call({ inputs: [...typed, { hangup: how }] });
        expect(r.signal).toBeNull();
        expect(r.exitCode).toBe(0);
        expect(r.msAfterHangup).toBeLessThan(1000);
        expectFailedClosed(r, how !== 'eof' ? 'hangup' : undefined);
      });
    }
  }

  it('skips the ID prompt when the dialplan passes user=', async () => {
    const site = siteWithUser();
    const r = await site.call({ args: ['user=1001'], inputs: ['4321', totp()] });
    expect(r.prompts).toEqual([PIN, CODE]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  });

  it('skips the PIN prompt only through a profile of astotp.conf', async () => {
    const site = siteWithUser();
    site.config({ timeout: 5 }, { door: { ask_pin: 'no' } });
    const r = await site.call({ args: ['profile=door'], inputs: ['1001', totp()] });
    expect(r.prompts).toEqual([ID, CODE]);
    expect(r.variables.ASTOTP).toBe('SUCCESS');
  });

  describe('a caller ID that tries to add dialplan arguments', () => {
    // user=${CALLERID(num)} with the number "1001,pin=no" reaches astotp as two arguments.
    it.each([
      ['1001,pin=no', ['user=1001', 'pin=no']],
      ['1001,profile=door', ['user=1001', 'profile=door']],
      ['1001|tries=10', ['user=1001|tries=10']],
      ['1001&pin=no', ['user=1001&pin=no']],
    ])('%s is refused before any prompt, whatever the dialplan says', async (callerId, args) => {
      const site = siteWithUser();
      site.config({ timeout: 5 }, { door: { ask_pin: 'no' } });
      const r = await site.call({ args, agi: { agi_callerid: callerId }, inputs: ['1001', '4321', totp()] });
      expect(r.prompts).toEqual([]);
      expectFailedClosed(r, 'error');
      expect(r.variables.ASTOTP_ERROR).toMatch(/caller ID contains , & = or \|/);
      const log = JSON.parse(site.cli(['log', '--json']).stdout) as Array<{ reason: string; detail: string }>;
      expect(log.at(-1)).toMatchObject({ reason: 'error', detail: expect.stringMatching(/argument injection/) });
    });

    it('the same arguments from a dialplan whose caller ID is clean are refused too', async () => {
      const site = siteWithUser();
      site.config({ timeout: 5 }, { door: { ask_pin: 'no' } });
      for (const args of [
        ['user=1001', 'pin=no'],
        ['user=1001', 'profile=door'],
        ['user=1001', 'user=1002'],
        ['user=1001', 'tries=10'],
      ]) {
        const r = await site.call({ args, inputs: ['4321', totp()] });
        expect(r.prompts).toEqual([]);
        expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      }
    });
  });

  describe('user=callerid', () => {
    it('takes the user from the caller ID, + stripped, and still asks PIN and code', async () => {
      const site = siteWithUser();
      site.enroll('4930123456', '5555');
      const r = await site.call({ args: ['user=callerid'], agi: { agi_callerid: '+4930123456' }, inputs: ['5555', totp()] });
      expect(r.prompts).toEqual([PIN, CODE]);
      expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '4930123456' });
    });

    it.each([['unknown'], ['1001a'], ['1234567890123456'], ['++1001'], ['']])(
      'a caller ID %j names no user: same prompts, bad-credentials',
      async (callerId) => {
        const site = siteWithUser({ tries: 1 });
        const r = await site.call({ args: ['user=callerid'], agi: { agi_callerid: callerId }, inputs: ['4321', totp()] });
        expect(r.prompts).toEqual([PIN, CODE, FAILED]);
        expectFailedClosed(r, 'bad-credentials');
      },
    );

    it('comes from a profile too, which the dialplan then need not repeat', async () => {
      const site = siteWithUser();
      site.config({ timeout: 5 }, { desk: { user: 'callerid' } });
      const r = await site.call({ args: ['profile=desk'], agi: { agi_callerid: '1001' }, inputs: ['4321', totp()] });
      expect(r.prompts).toEqual([PIN, CODE]);
      expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    });
  });

  it.each([
    [['pin=no'], /pin= is no longer accepted.*ask_pin/],
    [['tries=1'], /tries= is no longer accepted/],
    [['timeout=3'], /timeout= is no longer accepted/],
    [['answer=no'], /answer= is no longer accepted/],
    [['sounds=x'], /sounds= is no longer accepted/],
    [['mode=pbotp'], /mode= is no longer accepted/],
    [['user=alice'], /user= takes digits only/],
  ])('fails closed on the retired argument %j, naming what replaces it', async (args, message) => {
    const site = siteWithUser();
    const r = await site.call({ args, inputs: ['1001', '4321', totp()] });
    expect(r.prompts).toEqual([]);
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(message);
  });

  describe('dialplan arguments that look like admin commands', () => {
    // AGI(otp/astotp,${X}) with X = "unlock,1001": Asterisk started us, so this is a call, never the CLI.
    it.each([
      [['unlock', '1001']],
      [['enroll', '9999', '--secret', SECRET, '--no-pin', '--no-confirm', '--qr', 'none']],
      [['--help']],
      [['list']],
    ])('%j fails the call closed and runs no command', async (args) => {
      const site = siteWithUser();
      const r = await site.call({ args, inputs: ['1001', '4321', totp()] });
      expectFailedClosed(r, 'error');
      expect(r.prompts).toEqual([]);
      expect(r.commands.join('\n')).not.toMatch(/otpauth:|Enrolled|Usage/);
      expect(site.cli(['list', '--json']).stdout).not.toContain('9999');
    });

    it('an empty argument (AGI(otp/astotp,)) is a call as usual', async () => {
      const r = await siteWithUser().call({ args: [''], inputs: ['1001', '4321', totp()] });
      expect(r.variables.ASTOTP).toBe('SUCCESS');
    });
  });

  it('shows a caller ID with terminal escapes in astotp log only as printable text', async () => {
    const site = siteWithUser({ tries: 1 });
    await site.call({
      agi: { agi_callerid: '1001\u001b[2J\u001b]0;owned\u0007', agi_channel: 'PJSIP/x\u001b[31m-1' },
      inputs: ['1001', '4321', wrongCode()],
    });
    const text = site.cli(['log']).stdout;
    expect(text).toContain('1001?[2J?]0;owned?');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    // The JSON keeps the exact bytes, escaped as JSON does.
    expect(JSON.parse(site.cli(['log', '--json']).stdout).at(-1).caller_id).toBe('1001\u001b[2J\u001b]0;owned\u0007');
  });

  it('refuses a header whose arguments differ from the command line (forged agi_arg lines)', async () => {
    const site = siteWithUser();
    site.config({ timeout: 5 }, { weak: { ask_pin: 'no' } });
    const r = await site.call({ args: [], agi: { agi_arg_1: 'profile=weak' }, inputs: ['1001', totp()] });
    expectFailedClosed(r, 'error');
    expect(r.prompts).toEqual([]);
    expect(r.variables.ASTOTP_ERROR).toMatch(/other arguments than the command line/);
  });

  it('refuses a misspelt dialplan argument instead of ignoring it', async () => {
    const site = siteWithUser();
    const r = await site.call({ args: ['pim=no'], inputs: ['1001', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/unknown argument .pim.=/);
    expect(r.prompts).toEqual([]);
  });

  it('logs in an 8-digit SHA256 user on a site whose calls take 8 digits', async () => {
    const site = new Site();
    onTestFinished(() => site.remove());
    site.config({ timeout: 5, digits: 8 });
    site.enroll('2001', '4321', SECRET, ['--digits', '8', '--algorithm', 'SHA256']);
    const r = await site.call({ inputs: ['2001', '4321', totp(SECRET, { algorithm: 'sha256', digits: 8 })] });
    expect(r.violations).toEqual([]);
    expect(r.commands).toContain('GET DATA "otp/astotp-enter-code" 5000 8');
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '2001' });
  });

  it('takes a 6-digit code ended with # where calls take 8 digits', async () => {
    const site = new Site();
    onTestFinished(() => site.remove());
    site.config({ timeout: 5, digits: 8 });
    site.enroll('1001', '4321', SECRET, ['--digits', '6']);
    const r = await site.call({ inputs: ['1001', '4321', `${totp()}#`] });
    expect(r.violations).toEqual([]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
  });

  it('fails closed with reason error when a reply holds a NUL or bytes that are not UTF-8', async () => {
    const site = siteWithUser();
    onTestFinished(() => site.remove());
    for (const bad of [[0x00], [0xff]]) {
      const line = Buffer.concat([Buffer.from('200 result=0'), Buffer.from(bad)]);
      const r = await site.call({ inputs: ['1001', '4321', totp()], rawReply: { command: 'ANSWER', line } });
      // Nothing after the bad line can be trusted, so nothing more is sent: ASTOTP stays FAILURE.
      expect(r.setLog).toEqual([['ASTOTP', 'FAILURE']]);
      expect(r.commands.at(-1)).toBe('ANSWER');
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toMatch(/^astotp: line from Asterisk (contains a NUL byte|is not valid UTF-8)$/m);
    }
    const log = site.cli(['log', '--json']);
    expect((JSON.parse(log.stdout) as Array<{ source: string }>).filter((e) => e.source !== 'admin')).toMatchObject([
      { result: 'FAILURE', reason: 'error', detail: 'line from Asterisk contains a NUL byte' },
      { result: 'FAILURE', reason: 'error', detail: 'line from Asterisk is not valid UTF-8' },
    ]);
  });

  it('fails closed with reason error when astotp.conf sets a key twice', async () => {
    const site = siteWithUser();
    onTestFinished(() => site.remove());
    const conf = join(site.confDir, 'astotp.conf');
    writeFileSync(conf, '[general]\nask_pin = yes\nask_pin = no\n');
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    // A channel variable cannot hold a double quote: the message has single ones.
    expect(r.variables.ASTOTP_ERROR).toBe(`${conf}:3: key 'ask_pin' is already set on line 2`);
    expect(r.prompts).toEqual([]);
  });

  it('gives exactly one SUCCESS to 20 simultaneous calls with the same code', async () => {
    const site = siteWithUser({ tries: 1 });
    const code = totp();
    const calls = await Promise.all(Array.from({ length: 20 }, () => site.call({ inputs: ['1001', '4321', code], timeoutMs: 60_000 })));
    const outcomes = calls.map((r) => r.variables.ASTOTP);
    expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'FAILURE')).toHaveLength(19);
    expect(calls.every((r) => ['ok', 'bad-credentials', 'locked'].includes(r.variables.ASTOTP_REASON ?? ''))).toBe(true);
  }, 90_000);
});
