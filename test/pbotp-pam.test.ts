// pbotp for PAM logins: the two pam_exec steps in a real Linux-PAM stack,
// driven by pamtester as a PAM application, answered by `astotp pbotp
// respond` as the authority would, with the state directory, config file and
// service file as root has them.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { AUTHORITY_PRIV, AUTHORITY_PUB } from './helpers/pbotp-authority.js';
import {
  astotpStep,
  captureSyslog,
  challengeUrl as challengeUrlOf,
  endLogins,
  pamService,
  pamUnavailable,
  removePamServices,
  startLogin,
  type PamLogin,
  type SyslogCapture,
} from './helpers/pam-stack.js';
import { tempDir } from './helpers/temp.js';

const unavailable = pamUnavailable();
const BASE = 'https://auth.example.org/pbotp';
const HOST = 'pbx1.example.org';
const URL_PATTERN = /https:\/\/auth\.example\.org\/pbotp\/[^\s]+/;
const challengeUrl = (login: PamLogin) => challengeUrlOf(login, URL_PATTERN);

// Each login starts node twice under pam_exec, and respond once more.
describe.skipIf(unavailable !== null)('pbotp PAM steps in a real PAM stack', { timeout: 60_000 }, () => {
  const dir = tempDir('astotp-pam-');
  const keyFile = join(dir, 'authority.key');
  writeFileSync(keyFile, `${AUTHORITY_PRIV}\n`, { mode: 0o600 });
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  afterAll(removePamServices);
  // A test that fails mid-login must not leave its login or challenge to the next one.
  let syslog: SyslogCapture | null = null;
  afterEach(() => {
    syslog?.stop();
    syslog = null;
    endLogins();
    for (const name of readdirSync(stateDir)) rmSync(join(stateDir, name));
  });

  /** The pam_exec line's key=value parameters; `changes` replace or add keys. */
  const params = (changes: string[] = []) => {
    const base = [`pubkey=${AUTHORITY_PUB}`, `baseurl=${BASE}`, 'group=ssh', `host=${HOST}`, 'qr=ascii', `state_dir=${stateDir}`];
    const keyOf = (p: string) => p.slice(0, p.indexOf('='));
    return [...base.filter((p) => !changes.some((c) => keyOf(c) === keyOf(p))), ...changes];
  };
  /** The documented stack: the challenge step optional (it never succeeds), then the verify step. */
  const stack = (extra: string[] = [], verifyExtra = extra) => [
    `optional pam_exec.so quiet quiet_log stdout ${astotpStep('pam-challenge', params(extra))}`,
    `required pam_exec.so quiet expose_authtok ${astotpStep('pam-verify', params(verifyExtra))}`,
  ];
  const codeService = pamService(stack());

  /** The authority's answer to a challenge URL: the last line respond prints. */
  const respond = (url: string, options: string[] = []): string => {
    const r = spawnSync(process.execPath, [BUNDLE_PATH, 'pbotp', 'respond', '--key', keyFile, ...options, url], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').at(-1)!;
  };
  // Challenge files only: without a syslog daemon the steps' log file is there too.
  const waiting = () => readdirSync(stateDir).filter((n) => /^[0-9a-f]{64}$/.test(n));

  it('lets in the user who types the code the authority gives for the shown URL, and keeps no state', async () => {
    const login = startLogin(codeService, 'root');
    const url = await challengeUrl(login);
    expect(url).toMatch(new RegExp(`/pbotp/ssh/${HOST.replace(/\./g, '\\.')}/root/[A-Za-z0-9_-]{43}$`));
    expect(login.shown()).toContain('Scan this QR code');
    expect(login.shown()).toContain('Then enter the 9-digit code at the "Password: " prompt.');
    expect(waiting()).toHaveLength(1);
    const code = respond(url);
    expect(code).toMatch(/^\d{3} \d{3} \d{3}$/);
    const result = await login.answer(code);
    expect(result.ok, result.shown).toBe(true);
    expect(waiting()).toEqual([]);
  });

  it('refuses a wrong code, a code for another user and a phrase, deleting the challenge each time', async () => {
    const wrong = startLogin(codeService, 'root');
    const code = respond(await challengeUrl(wrong));
    const off = `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
    expect((await wrong.answer(off)).ok).toBe(false);
    expect(waiting()).toEqual([]);

    const other = startLogin(codeService, 'alice');
    const url = await challengeUrl(other);
    expect((await other.answer(respond(url.replace('/alice/', '/bob/')))).ok).toBe(false);

    const phrase = startLogin(codeService, 'root');
    expect((await phrase.answer(respond(await challengeUrl(phrase), ['--phrase']))).ok).toBe(false);
    expect(waiting()).toEqual([]);
  });

  it('refuses a response that was right for an earlier challenge', async () => {
    const first = startLogin(codeService, 'root');
    const code = respond(await challengeUrl(first));
    expect((await first.answer(code)).ok).toBe(true);
    const again = startLogin(codeService, 'root');
    await challengeUrl(again);
    expect((await again.answer(code)).ok).toBe(false);
  });

  it('gives concurrent logins their own challenges, same user or not', async () => {
    const a = startLogin(codeService, 'root');
    const b = startLogin(codeService, 'root');
    const c = startLogin(codeService, 'alice');
    const [urlA, urlB, urlC] = [await challengeUrl(a), await challengeUrl(b), await challengeUrl(c)];
    expect(new Set([urlA, urlB, urlC]).size).toBe(3);
    expect(waiting()).toHaveLength(3);
    const codeB = respond(urlB);
    expect((await a.answer(codeB)).ok).toBe(false);
    expect((await b.answer(codeB)).ok).toBe(true);
    expect((await c.answer(respond(urlC))).ok).toBe(true);
    expect(waiting()).toEqual([]);
  });

  it('refuses a challenge older than five minutes', async () => {
    const login = startLogin(codeService, 'root');
    const code = respond(await challengeUrl(login));
    const [name] = waiting();
    const path = join(stateDir, name!);
    const old = Math.floor(Date.now() / 1000) - 301;
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^created \d+$/m, `created ${old}`), { mode: 0o600 });
    expect((await login.answer(code)).ok).toBe(false);
    expect(waiting()).toEqual([]);
  });

  it('sweeps away challenges whose verify step never came once they are five minutes old', async () => {
    const stale = join(stateDir, 'f'.repeat(64));
    const fresh = join(stateDir, 'e'.repeat(64));
    writeFileSync(stale, 'left by a login that was abandoned\n', { mode: 0o600 });
    writeFileSync(fresh, 'left by a login still at its prompt\n', { mode: 0o600 });
    const old = Date.now() / 1000 - 301;
    utimesSync(stale, old, old);
    const login = startLogin(codeService, 'root');
    const code = respond(await challengeUrl(login));
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect((await login.answer(code)).ok).toBe(true);
    rmSync(fresh);
  });

  it("accepts the specification's test vector, answered by an independent implementation", async () => {
    const service = pamService(stack(['host=SSSN7PBXFG6DY', 'group=dev']));
    const login = startLogin(service, 'root');
    await challengeUrl(login);
    const [name] = waiting();
    // The nonce of the protocol description; its response there is 526 044 548.
    const state = `astotp-pam-state 1\ncreated ${Math.floor(Date.now() / 1000)}\nnonce 41dcc46f88e9eba564a23d7ddb100dbd7da7ac17cecaf9a10d4db8fdb684b7bf\ngroup dev\nhost SSSN7PBXFG6DY\nuser root\n`;
    writeFileSync(join(stateDir, name!), state, { mode: 0o600 });
    expect((await login.answer('526 044 548')).ok).toBe(true);
  });

  it('takes phrases in phrase mode, also longer ones that start with the expected words', async () => {
    const service = pamService(stack(['response_mode=phrase']));
    const short = startLogin(service, 'root');
    const url = await challengeUrl(short);
    expect(short.shown()).toContain('5-word phrase');
    expect((await short.answer(respond(url, ['--phrase']).toUpperCase())).ok).toBe(true);

    const long = startLogin(service, 'root');
    expect((await long.answer(respond(await challengeUrl(long), ['--words', '23']))).ok).toBe(true);

    const fewer = startLogin(service, 'root');
    expect((await fewer.answer(respond(await challengeUrl(fewer), ['--words', '4']))).ok).toBe(false);
  });

  it('reads only the [pbotp-pam] section of the config file: a typo elsewhere locks no one out', async () => {
    const conf = join(dir, 'astotp.conf');
    writeFileSync(
      conf,
      `[general]\ntires = 3\n\n[pbotp-pam]\npubkey = ${AUTHORITY_PUB}\nbaseurl = ${BASE}\ngroup = ssh\nhost = ${HOST}\nqr = none\n`,
    );
    const line = [`config=${conf}`, `state_dir=${stateDir}`];
    const service = pamService([
      `optional pam_exec.so quiet quiet_log stdout ${astotpStep('pam-challenge', line)}`,
      `required pam_exec.so quiet expose_authtok ${astotpStep('pam-verify', line)}`,
    ]);
    const login = startLogin(service, 'root');
    const url = await challengeUrl(login);
    expect(login.shown()).toContain('Go to this URL to get a login token:');
    expect((await login.answer(respond(url))).ok).toBe(true);

    // A typo inside the section, a key the line sets too, a file others may change: no challenge, no login.
    const refused = async (service: string) => {
      const login = startLogin(service, 'root');
      const result = await login.answer('123 456 789');
      expect(result.ok).toBe(false);
      expect(result.shown).not.toMatch(URL_PATTERN);
    };
    writeFileSync(conf, `[pbotp-pam]\npubkey = ${AUTHORITY_PUB}\nbaseurl = ${BASE}\ngroup = ssh\nlenght = 9\n`);
    await refused(service);
    writeFileSync(conf, `[pbotp-pam]\npubkey = ${AUTHORITY_PUB}\nbaseurl = ${BASE}\ngroup = ssh\n`);
    await refused(pamService([`optional pam_exec.so quiet quiet_log stdout ${astotpStep('pam-challenge', [...line, 'group=dev'])}`]));
    chmodSync(conf, 0o666);
    await refused(service);
  });

  it('never grants a login from the challenge step, whatever its control flag', async () => {
    const service = pamService([
      `sufficient pam_exec.so quiet quiet_log stdout ${astotpStep('pam-challenge', params())}`,
      'required pam_deny.so',
    ]);
    const login = startLogin(service, 'root');
    await challengeUrl(login);
    expect((await login.answer('')).ok).toBe(false);
    // Its challenge waits for a verify step that never comes, until a sweep.
    expect(waiting()).toHaveLength(1);
  });

  it('fails closed on a bad public key and on garbage typed, showing the admin nothing', async () => {
    const bad = pamService(stack(['pubkey=AAAA']));
    const login = startLogin(bad, 'root');
    const result = await login.answer('123456789');
    expect(result.ok).toBe(false);
    expect(result.shown).not.toMatch(URL_PATTERN);
    // pamtester's own "System error" is all: the reason is in syslog.
    expect(result.shown).not.toMatch(/astotp|key|pbotp/i);

    const garbage = startLogin(codeService, 'root');
    await challengeUrl(garbage);
    expect((await garbage.answer(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]))).ok).toBe(false);
    expect(waiting()).toEqual([]);
  });

  it('tells the admin why in syslog, never the response', async () => {
    syslog = await captureSyslog();
    if (syslog === null) return void console.warn('syslog lines not checked: a syslog daemon owns /dev/log');
    const wrong = startLogin(codeService, 'root');
    const code = respond(await challengeUrl(wrong));
    const off = `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
    expect((await wrong.answer(off)).ok).toBe(false);
    const right = startLogin(codeService, 'root');
    const good = respond(await challengeUrl(right));
    expect((await right.answer(good)).ok).toBe(true);
    const bad = startLogin(pamService(stack(['pubkey=AAAA'])), 'root');
    expect((await bad.answer('123456789')).ok).toBe(false);

    // Each awaited line names its reason; a missing one fails the test by its timeout.
    await syslog.waitFor(/astotp-pam: pam-verify: service=astotp-test-\w+ user=root .*: refused: wrong code$/);
    await syslog.waitFor(new RegExp(`astotp-pam: pam-verify: .*: accepted for ssh/${HOST.replace(/\./g, '\\.')}/root$`));
    await syslog.waitFor(/astotp-pam: pam-challenge: .*: failed: .*public key/);
    await syslog.waitFor(/astotp-pam: pam-verify: .*: failed: .*public key/);
    // With syslog listening, no log file of its own.
    expect(readdirSync(stateDir)).not.toContain('astotp-pam.log');
    const lines = syslog.lines().join('\n');
    for (const typed of [off, good, '123456789']) {
      expect(lines).not.toContain(typed);
      expect(lines).not.toContain(typed.replace(/ /g, ''));
    }
  });
});

if (unavailable !== null) {
  describe('pbotp PAM steps', () => {
    it.skip(`need a real PAM stack: ${unavailable}`, () => {});
  });
}
