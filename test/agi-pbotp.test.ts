// The phone factor (mode = pbotp in astotp.conf or a profile) through the built bundle and a
// scripted Asterisk; the test plays the authority, answering the challenge
// the call read out with the protocol's test key.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeChallengeDigits } from '../src/pbotp/challenge-digits.js';
import { parseChallengeUrl } from '../src/pbotp/url.js';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { AUTHORITY_PUB, challengesSaid, responseCode, rightCode, wrongCode } from './helpers/pbotp-authority.js';
import { AGAIN, FAILED, GROUP, ID, INTRO, REPEAT } from './helpers/prompts.js';
import { Site } from './helpers/site.js';

const LOGIN = { group: 'dev', host: 'pbx1', user: '1001' };
/** What the caller hears of one full reading, STREAM FILE and GET DATA only (digits are said by SAY). */
const READING = [INTRO, ...Array<string>(13).fill(GROUP)];

function pbotpSite(conf: Record<string, string | number> = {}): Site {
  const site = new Site();
  site.config({
    timeout: 5,
    mode: 'pbotp',
    pbotp_pubkey: AUTHORITY_PUB,
    pbotp_group: 'dev',
    pbotp_host: 'pbx1',
    pbotp_timeout: 5,
    ...conf,
  });
  const init = site.cli(['init']);
  if (init.status !== 0) throw new Error(`astotp init failed: ${init.stderr}`);
  return site;
}

// A reading is some 40 media commands, each answered after the peer's delay.
describe('a pbotp call', { timeout: 30_000 }, () => {
  it('reads a checked 13-group challenge and accepts the authority’s response, no enrollment needed', async () => {
    const site = pbotpSite();
    const r = await site.call({ inputs: ['1001', rightCode(LOGIN)] });
    expect(r.violations).toEqual([]);
    expect(r.commands[0]).toBe('SET VARIABLE ASTOTP "FAILURE"');
    expect(r.said).toHaveLength(13);
    expect(r.said.every((g) => /^\d{7}$/.test(g))).toBe(true);
    expect(() => decodeChallengeDigits(r.said.join(' '))).not.toThrow();
    expect(r.commands).toContain('SAY NUMBER 13 "*#0123456789"');
    expect(r.commands).toContain(`SAY DIGITS ${r.said[0]} "*#0123456789"`);
    expect(r.prompts).toEqual([ID, ...READING, REPEAT, '']);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
    expect(r.setLog.at(-1)).toEqual(['ASTOTP', 'SUCCESS']);
    expect(r.exitCode).toBe(0);
    const log = JSON.parse(site.cli(['log', '--json']).stdout) as Array<{ user: string; result: string; detail: string; source: string }>;
    expect(log.at(-1)).toMatchObject({ user: '1001', result: 'SUCCESS', source: 'agi', detail: 'pbotp response ok' });
  });

  it('never lets the typed response reach stdout, VERBOSE or stderr', async () => {
    const site = pbotpSite();
    let code = '';
    const r = await site.call({ inputs: ['1001', { compute: (said) => (code = responseCode(said.slice(-13), LOGIN)) }] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    expect(code).toMatch(/^\d{9}$/);
    expect([...r.commands, ...r.verbose, r.stderr].join('\n')).not.toContain(code);
  });

  it('runs where a profile says mode = pbotp, with the user from user=', async () => {
    const site = pbotpSite({ mode: 'totp' });
    site.config(
      { timeout: 5, pbotp_pubkey: AUTHORITY_PUB, pbotp_group: 'dev', pbotp_host: 'pbx1', pbotp_timeout: 5 },
      { phone: { mode: 'pbotp' } },
    );
    const r = await site.call({ args: ['profile=phone', 'user=1001'], inputs: [rightCode(LOGIN)] });
    expect(r.prompts).toEqual([...READING, REPEAT, '']);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  });

  it('takes the user from the caller ID, and reads no challenge when the caller ID is no number', async () => {
    const site = pbotpSite();
    site.config(
      { timeout: 5, pbotp_pubkey: AUTHORITY_PUB, pbotp_group: 'dev', pbotp_host: 'pbx1', pbotp_timeout: 5 },
      { phone: { mode: 'pbotp', user: 'callerid' } },
    );
    const good = await site.call({ args: ['profile=phone'], agi: { agi_callerid: '+1001' }, inputs: [rightCode(LOGIN)] });
    expect(good.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    const withheld = await site.call({ args: ['profile=phone'], agi: { agi_callerid: 'unknown' }, inputs: [rightCode(LOGIN)] });
    expect(withheld.said).toEqual([]);
    expect(withheld.prompts).toEqual([FAILED]);
    expectFailedClosed(withheld, 'bad-credentials');
    const log = JSON.parse(site.cli(['log', '--json']).stdout) as Array<{ user: string | null; detail: string }>;
    expect(log.at(-1)).toMatchObject({ user: null, detail: 'no user ID (the caller ID is not a number)' });
  });

  it('fails a wrong response, one try per challenge and a new challenge per try', async () => {
    const site = pbotpSite({ tries: 2 });
    const r = await site.call({ inputs: ['1001', wrongCode(LOGIN), '1001', wrongCode(LOGIN)] });
    expect(r.prompts).toEqual([ID, ...READING, REPEAT, '', AGAIN, ID, ...READING, REPEAT, '', FAILED]);
    const [first, second] = challengesSaid(r.said);
    expect(first).not.toEqual(second);
    expectFailedClosed(r, 'bad-credentials');
  });

  it('refuses a response that was right for an earlier challenge', async () => {
    const site = pbotpSite({ tries: 2 });
    let earlier = '';
    const first = await site.call({ inputs: ['1001', { compute: (said) => (earlier = responseCode(said.slice(-13), LOGIN)) }] });
    expect(first.variables.ASTOTP).toBe('SUCCESS');
    // A sniffer replays it, in a new call and on that call's second try.
    const replay = await site.call({ inputs: ['1001', earlier, '1001', { compute: (said) => responseCode(said.slice(0, 13), LOGIN) }] });
    expect(replay.said).toHaveLength(26);
    expect(replay.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
  });

  it('binds the response to the user ID: the code for another user fails', async () => {
    const site = pbotpSite({ tries: 1 });
    const r = await site.call({ inputs: ['1001', rightCode({ ...LOGIN, user: '1002' })] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
  });

  it('reads the same challenge again for * after the reading, during it, or typed within the code', async () => {
    const site = pbotpSite();
    const after = await site.call({ inputs: ['1001', { press: '*', afterSaid: 13 }, rightCode(LOGIN)] });
    expect(after.violations).toEqual([]);
    expect(after.said).toHaveLength(26);
    expect(after.said.slice(13)).toEqual(after.said.slice(0, 13));
    expect(after.prompts).toEqual([ID, ...READING, REPEAT, ...READING, REPEAT, '']);
    expect(after.variables.ASTOTP).toBe('SUCCESS');

    const during = await site.call({ inputs: ['1001', { press: '*', afterSaid: 5 }, rightCode(LOGIN)] });
    expect(during.said).toHaveLength(18);
    expect(during.said.slice(5, 10)).toEqual(during.said.slice(0, 5));
    expect(during.variables.ASTOTP).toBe('SUCCESS');

    const typed = await site.call({ inputs: ['1001', '12*', rightCode(LOGIN)] });
    expect(typed.said).toHaveLength(26);
    expect(typed.said.slice(13)).toEqual(typed.said.slice(0, 13));
    expect(typed.variables.ASTOTP).toBe('SUCCESS');
  });

  it('takes a digit pressed while the challenge is read again as the start of the code', async () => {
    const site = pbotpSite();
    const code = (said: string[]) => responseCode(said.slice(0, 13), LOGIN);
    const r = await site.call({
      inputs: [
        '1001',
        { press: '*', afterSaid: 13 },
        // Types along while group 4 of the second reading plays.
        { press: (said) => code(said)[0]!, afterSaid: 16 },
        { compute: (said) => code(said).slice(1) },
      ],
    });
    expect(r.violations).toEqual([]);
    expect(r.said).toHaveLength(16);
    expect(r.prompts).toEqual([ID, ...READING, REPEAT, ...READING.slice(0, 5), '']);
    expect(r.commands.filter((c) => c.startsWith('GET DATA'))).toEqual(['GET DATA "otp/astotp-enter-id" 5000 10', 'GET DATA "" 5000 8']);
    expect(r.variables.ASTOTP).toBe('SUCCESS');
  });

  it('sends the challenge link as text when pbotp_url is set, for the same challenge as read out', async () => {
    const site = pbotpSite({ pbotp_url: 'https://auth.example.org/pbotp/' });
    const r = await site.call({ inputs: ['1001', rightCode(LOGIN)] });
    expect(r.texts).toHaveLength(1);
    const link = parseChallengeUrl(r.texts[0]!);
    expect(r.texts[0]).toMatch(/^https:\/\/auth\.example\.org\/pbotp\/dev\/pbx1\/1001\/[A-Za-z0-9_-]{43}$/);
    expect(link.login).toEqual(LOGIN);
    expect(Buffer.from(link.challenge)).toEqual(Buffer.from(decodeChallengeDigits(r.said.join(' '))));
    expect(r.variables.ASTOTP).toBe('SUCCESS');
  });

  it('ends with reason timeout when no code is typed', async () => {
    const site = pbotpSite({ tries: 2 });
    const r = await site.call({ inputs: ['1001', '', '1001'] });
    expect(r.said).toHaveLength(26);
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'timeout' });
  });

  it('locks a user ID after repeated wrong responses, without reading challenges, until unlocked', async () => {
    const site = pbotpSite({ tries: 1, lockout_failures: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await site.call({ inputs: ['1001', wrongCode(LOGIN)] });
      expect(r.variables.ASTOTP_REASON).toBe('bad-credentials');
    }
    const locked = await site.call({ inputs: ['1001', rightCode(LOGIN)] });
    expect(locked.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'locked' });
    expect(locked.said).toEqual([]);
    expect(locked.prompts).toEqual([ID, FAILED]);
    // Another user ID is not affected.
    const other = await site.call({ inputs: ['1002', rightCode({ ...LOGIN, user: '1002' })] });
    expect(other.variables.ASTOTP).toBe('SUCCESS');

    const unlock = site.cli(['unlock', '1001']);
    expect(unlock.status).toBe(0);
    expect(unlock.stdout).toMatch(/pbotp lockout of 1001 cleared/);
    const after = await site.call({ inputs: ['1001', rightCode(LOGIN)] });
    expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok' });
    expect(site.cli(['unlock', '1003']).status).toBe(1);
  });

  it.each([
    ['without pbotp_pubkey', { pbotp_pubkey: '' }, /pbotp_pubkey/],
    ['without pbotp_group', { pbotp_group: '' }, /pbotp_group/],
  ])('fails closed %s, before answering', async (_, drop, message) => {
    const site = new Site();
    const conf: Record<string, string | number> = { mode: 'pbotp', pbotp_pubkey: AUTHORITY_PUB, pbotp_group: 'dev' };
    for (const key of Object.keys(drop)) delete conf[key];
    site.config(conf);
    expect(site.cli(['init']).status).toBe(0);
    const r = await site.call({ inputs: ['1001', rightCode(LOGIN)] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(message);
    expect(r.commands).not.toContain('ANSWER');
    expect(r.prompts).toEqual([]);
  });

  it('refuses a malformed public key in astotp.conf', async () => {
    const site = new Site();
    site.config({ mode: 'pbotp', pbotp_pubkey: `${AUTHORITY_PUB.slice(0, 42)}=`, pbotp_group: 'dev' });
    const r = await site.call({ inputs: ['1001'] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/pbotp_pubkey: public key/);
  });

  it('needs a database, and names astotp init when there is none', async () => {
    const site = new Site();
    site.config({ mode: 'pbotp', pbotp_pubkey: AUTHORITY_PUB, pbotp_group: 'dev' });
    const r = await site.call({ inputs: ['1001', rightCode(LOGIN)] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/astotp init/);
  });

  for (const how of ['sighup', 'eof', 'result'] as const) {
    it(`stops within 1 s without SUCCESS when the caller hangs up during the challenge (${how})`, async () => {
      const site = pbotpSite();
      const r = await site.call({ inputs: ['1001', { hangup: how, afterSaid: 4 }] });
      expect(r.said).toHaveLength(4);
      expect(r.signal).toBeNull();
      expect(r.exitCode).toBe(0);
      expect(r.msAfterHangup).toBeLessThan(1000);
      expectFailedClosed(r, how !== 'eof' ? 'hangup' : undefined);
    });
  }
});

describe('astotp init', () => {
  it('creates an empty database and a private key file, and may run again', () => {
    const site = new Site();
    const first = site.cli(['init']);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Created database .* is ready \(0 users\)/);
    expect(statSync(site.keyFile).mode & 0o777).toBe(0o600);
    const again = site.cli(['init']);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^Database .* is ready/);
    expect(site.cli(['list']).status).toBe(0);
  });
});
