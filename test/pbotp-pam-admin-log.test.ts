// Where no syslog daemon listens (no /dev/log, as in many containers), the
// PAM steps' reasons go to astotp-pam.log in the state directory: through a
// real Linux-PAM stack driven by pamtester, with /dev/log held off for the
// whole file. The file is root's and 0600, appended a whole line at a time,
// bounded, never written through a link, never swept with the challenges,
// and what the person logging in sees is unchanged.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { AUTHORITY_PRIV, AUTHORITY_PUB } from './helpers/pbotp-authority.js';
import {
  astotpStep,
  challengeUrl as challengeUrlOf,
  endLogins,
  holdOffSyslog,
  pamService,
  pamUnavailable,
  removePamServices,
  startLogin,
  type PamLogin,
} from './helpers/pam-stack.js';
import { tempDir } from './helpers/temp.js';

const unavailable = pamUnavailable();
const release = unavailable === null ? await holdOffSyslog() : null;
const why = unavailable ?? (release === null ? 'a syslog daemon owns /dev/log here' : null);
if (why !== null && release === null && unavailable === null) console.warn(`SKIPPED the PAM log file without syslog: ${why}`);

const BASE = 'https://auth.example.org/pbotp';
const URL_PATTERN = /https:\/\/auth\.example\.org\/pbotp\/[^\s]+/;
const challengeUrl = (login: PamLogin) => challengeUrlOf(login, URL_PATTERN);
const LOG = 'astotp-pam.log';
const MAX_BYTES = 256 * 1024;
/** A line of the file: when, who, what. */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z astotp-pam\[\d+\]: \S.*$/;
const DEFAULT_STATE_DIR = '/run/astotp-pam';

describe.skipIf(why !== null)('the PAM steps without a syslog daemon', { timeout: 60_000 }, () => {
  const dir = tempDir('astotp-pam-log-');
  const keyFile = join(dir, 'authority.key');
  writeFileSync(keyFile, `${AUTHORITY_PRIV}\n`, { mode: 0o600 });
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const log = join(stateDir, LOG);
  afterAll(() => {
    removePamServices();
    release?.();
  });
  afterEach(() => {
    endLogins();
    for (const name of readdirSync(stateDir)) rmSync(join(stateDir, name), { force: true });
  });

  const params = (changes: string[] = []) => {
    const base = [`pubkey=${AUTHORITY_PUB}`, `baseurl=${BASE}`, 'group=ssh', 'host=pbx1', 'qr=none', `state_dir=${stateDir}`];
    const keyOf = (p: string) => p.slice(0, p.indexOf('='));
    return [...base.filter((p) => !changes.some((c) => keyOf(c) === keyOf(p))), ...changes];
  };
  const stack = (extra: string[] = []) => [
    `optional pam_exec.so quiet quiet_log stdout ${astotpStep('pam-challenge', params(extra))}`,
    `required pam_exec.so quiet expose_authtok ${astotpStep('pam-verify', params(extra))}`,
  ];
  const service = pamService(stack());
  const respond = (url: string): string => {
    const r = spawnSync(process.execPath, [BUNDLE_PATH, 'pbotp', 'respond', '--key', keyFile, url], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').at(-1)!;
  };
  /** One login answered right or wrong; what it showed. */
  const login = async (how: 'right' | 'wrong', name = service) => {
    const l = startLogin(name, 'root');
    const code = respond(await challengeUrl(l));
    const typed = how === 'right' ? code : `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
    const result = await l.answer(typed);
    expect(result.ok, result.shown).toBe(how === 'right');
    return { typed, shown: result.shown };
  };
  const lines = (path = log) => readFileSync(path, 'utf8').trimEnd().split('\n');

  it('writes the reasons to astotp-pam.log in the state directory, root’s and 0600, never the response', async () => {
    const wrong = await login('wrong');
    const right = await login('right');
    const bad = startLogin(pamService(stack(['pubkey=AAAA'])), 'root');
    expect((await bad.answer('123456789')).ok).toBe(false);

    const st = statSync(log);
    expect(st.uid).toBe(process.geteuid?.());
    expect(st.mode & 0o777).toBe(0o600);
    const all = lines();
    for (const line of all) expect(line).toMatch(LINE);
    expect(all.filter((l) => /: pam-challenge: service=astotp-test-\w+ user=root .*: challenge for ssh\/pbx1\/root$/.test(l))).toHaveLength(
      2,
    );
    expect(all.filter((l) => /: pam-verify: service=astotp-test-\w+ user=root .*: refused: wrong code$/.test(l))).toHaveLength(1);
    expect(all.filter((l) => /: pam-verify: .*: accepted for ssh\/pbx1\/root$/.test(l))).toHaveLength(1);
    expect(all.filter((l) => /: pam-(challenge|verify): .*: failed: .*public key/.test(l))).toHaveLength(2);
    const text = all.join('\n');
    for (const typed of [wrong.typed, right.typed, '123456789']) {
      expect(text).not.toContain(typed);
      expect(text).not.toContain(typed.replace(/ /g, ''));
    }
    // Nothing of it on the screen of the person logging in.
    expect(wrong.shown).not.toMatch(/refused|astotp/);
  });

  it('appends whole lines from logins running at once', async () => {
    await Promise.all([login('wrong'), login('wrong'), login('right'), login('wrong')]);
    const all = lines();
    for (const line of all) expect(line).toMatch(LINE);
    expect(all.filter((l) => l.endsWith(': refused: wrong code'))).toHaveLength(3);
    expect(all.filter((l) => l.includes(': accepted for '))).toHaveLength(1);
    expect(all.filter((l) => l.includes(': challenge for '))).toHaveLength(4);
  });

  it('keeps within its bound: a full file becomes astotp-pam.log.1, replacing the one before', async () => {
    const filler = `${'x'.repeat(99)}\n`.repeat(Math.floor(MAX_BYTES / 100));
    writeFileSync(log, filler.slice(0, MAX_BYTES - 50), { mode: 0o600 });
    writeFileSync(`${log}.1`, 'an older file\n', { mode: 0o600 });
    await login('wrong');
    expect(readFileSync(`${log}.1`, 'utf8')).toBe(filler.slice(0, MAX_BYTES - 50));
    const fresh = lines();
    expect(fresh.at(-1)).toMatch(/: refused: wrong code$/);
    for (const line of fresh) expect(line).toMatch(LINE);
    expect(statSync(log).size).toBeLessThan(MAX_BYTES);
  });

  it('never writes through a link or into a file others may read, and the login still works', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, '', { mode: 0o600 });
    symlinkSync(target, log);
    await login('right');
    expect(readFileSync(target, 'utf8')).toBe('');
    rmSync(log);

    writeFileSync(log, 'readable\n', { mode: 0o644 });
    await login('wrong');
    expect(readFileSync(log, 'utf8')).toBe('readable\n');
    rmSync(log);

    await login('wrong');
    expect(lines().at(-1)).toMatch(/: refused: wrong code$/);
  });

  it('is not swept with the challenges, however old', async () => {
    await login('wrong');
    const old = Date.now() / 1000 - 3600;
    utimesSync(log, old, old);
    await login('right');
    const all = lines();
    expect(all.some((l) => l.endsWith(': refused: wrong code'))).toBe(true);
    expect(all.at(-1)).toMatch(/: accepted for /);
  });

  // The default state directory of this machine is used only where it does not exist yet, and removed after.
  const defaultFree = !existsSync(DEFAULT_STATE_DIR);
  it.skipIf(!defaultFree)('writes to the default state directory when the line’s state_dir is refused', async () => {
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o755 });
    try {
      const l = startLogin(pamService(stack([`state_dir=${open}`])), 'root');
      expect((await l.answer('123456789')).ok).toBe(false);
      expect(readdirSync(open)).toEqual([]);
      const all = lines(join(DEFAULT_STATE_DIR, LOG));
      expect(all.some((x) => x.includes(`failed: state directory ${open} is open to group or others`))).toBe(true);
      expect(statSync(DEFAULT_STATE_DIR).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(DEFAULT_STATE_DIR, { recursive: true, force: true });
    }
  });
});

if (why !== null) {
  describe('the PAM steps without a syslog daemon', () => {
    it.skip(`need a real PAM stack and no syslog daemon: ${why}`, () => {});
  });
}
