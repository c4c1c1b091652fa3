// astotp.conf and dialplan arguments: defaults that work without a file, and
// a refusal, never a silent fallback, for anything misspelt or out of range.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConf } from '../src/config/conf-file.js';
import { applyCallArguments, loadSettings, SettingsError } from '../src/config/settings.js';

/** A config file that lives as long as the test calling this. */
function confFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'astotp-conf-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'astotp.conf');
  writeFileSync(path, text);
  return path;
}

describe('astotp.conf', () => {
  it('reads sections, => and comments the way Asterisk does', () => {
    const c = parseConf('; header\n[General]\ntries => 2 ; two\nissuer = ACME \\; PBX\n');
    expect(c.problems).toEqual([]);
    expect(c.sections.get('general')).toEqual(new Map([['tries', { value: '2', line: 3 }], ['issuer', { value: 'ACME ; PBX', line: 4 }]]));
  });

  it('calls a key set twice in one section a problem, naming both lines', () => {
    const c = parseConf('[general]\nask_pin = yes\n\nASK_PIN => no\n[general]\nask_pin = no\n[other]\nask_pin = no\n', '/etc/asterisk/astotp.conf');
    expect(c.problems).toEqual([
      '/etc/asterisk/astotp.conf:4: key "ask_pin" is already set on line 2',
      '/etc/asterisk/astotp.conf:6: key "ask_pin" is already set on line 2',
    ]);
    expect(c.sections.get('general')?.get('ask_pin')).toEqual({ value: 'yes', line: 2 });
    expect(c.sections.get('other')?.get('ask_pin')).toEqual({ value: 'no', line: 8 });
  });

  it('works without a file, with Asterisk-style default paths', () => {
    const s = loadSettings({ env: { AST_VAR_DIR: '/srv/ast', AST_CONFIG_DIR: '/nonexistent' } });
    expect(s).toMatchObject({ db: '/srv/ast/astotp.sqlite3', keyFile: '/srv/ast/astotp.key', tries: 3, window: 1, lockoutFailures: 5, lockoutMinutes: 15, configFile: null });
  });

  it('applies the file, then ASTOTP_DB, then explicit options', () => {
    const config = confFile('[general]\ndb = /a/x.sqlite3\ntimeout = 7\nalgorithm = sha256\n');
    expect(loadSettings({ config, env: {} })).toMatchObject({ db: '/a/x.sqlite3', keyFile: '/a/astotp.key', codeTimeoutMs: 7000, algorithm: 'SHA256' });
    expect(loadSettings({ config, env: { ASTOTP_DB: '/b/y.sqlite3' } }).db).toBe('/b/y.sqlite3');
    expect(loadSettings({ config, env: { ASTOTP_DB: '/b/y.sqlite3' }, db: '/c/z.sqlite3' }).keyFile).toBe('/c/astotp.key');
  });

  it.each([
    ['[general]\nlockout_failurs = 3\n', /lockout_failurs: unknown setting/],
    ['[general]\ntries = 0\n', /tries: expected a whole number from 1 to 10/],
    ['[general]\nwindow = lots\n', /window: expected a whole number/],
    ['[other]\ntries = 2\n', /unknown section \[other\]/],
    ['tries = 2\n', /outside any \[section\]/],
    ['[general]\n#include foo.conf\n', /not supported/],
  ])('refuses %j', (text, message) => {
    expect(() => loadSettings({ config: confFile(text), env: {} })).toThrow(message);
  });

  it('refuses a duplicate key, even one repeating the same value', () => {
    const config = confFile('[general]\nask_pin = no\nask_pin = no\n');
    expect(() => loadSettings({ config, env: {} })).toThrow(`${config}:3: key "ask_pin" is already set on line 2`);
  });

  it('names file and line of every problem, not only the first', () => {
    const config = confFile('[general]\ntries = 0\nask_pin = yes\nask_pin = no\n\n[other]\nwindow = lots\n');
    let error: unknown;
    try {
      loadSettings({ config, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([
      `${config}:4: key "ask_pin" is already set on line 3`,
      `${config}:2: tries: expected a whole number from 1 to 10`,
      `${config}:6: unknown section [other]`,
    ]);
  });

  it('names a missing explicit config file', () => {
    expect(() => loadSettings({ config: '/nonexistent/astotp.conf', env: {} })).toThrow(/does not exist/);
  });
});

describe('dialplan arguments', () => {
  const base = loadSettings({ env: { AST_CONFIG_DIR: '/nonexistent' } });

  it('sets the user, PIN prompt and tries', () => {
    expect(applyCallArguments(base, ['user=1001', 'pin=no', 'tries=1'])).toMatchObject({ user: '1001', askPin: false, tries: 1 });
  });

  it('treats an empty user= (no caller ID) as not given', () => {
    expect(applyCallArguments(base, ['user=']).user).toBeNull();
  });

  it.each([['pim=no'], ['db=/tmp/other.sqlite3'], ['user=10 01'], ['tries=99'], ['nonsense']])('refuses %s', (arg) => {
    expect(() => applyCallArguments(base, [arg])).toThrow();
  });
});

describe('pbotp settings', () => {
  const PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';

  it('reads the authority key, group, host, code length and link base', () => {
    const config = confFile(`[general]\nmode = pbotp\npbotp_pubkey = ${PUB}\npbotp_group = dev\npbotp_host = pbx1\npbotp_digits = 12\npbotp_url = https://auth.example.org/p\n`);
    expect(loadSettings({ config, env: {} })).toMatchObject({
      mode: 'pbotp', pbotpPubkey: PUB, pbotpGroup: 'dev', pbotpHost: 'pbx1', pbotpDigits: 12, pbotpUrl: 'https://auth.example.org/p', pbotpTimeoutMs: 60_000,
    });
  });

  it('defaults to TOTP, 9-digit codes and the system host name', () => {
    const s = loadSettings({ env: { AST_CONFIG_DIR: '/nonexistent' } });
    expect(s).toMatchObject({ mode: 'totp', pbotpPubkey: null, pbotpGroup: null, pbotpDigits: 9, pbotpUrl: null });
    expect(s.pbotpHost).not.toBe('');
  });

  it.each([
    [`pbotp_pubkey = ${PUB.slice(1)}\n`, /pbotp_pubkey: public key must be 43/],
    [`pbotp_pubkey = ${'A'.repeat(43)}\n`, /pbotp_pubkey: public key is not usable/],
    ['pbotp_group = a/b\n', /pbotp_group: group contains a slash/],
    ['pbotp_host = ..\n', /pbotp_host: host cannot be/],
    ['pbotp_digits = 20\n', /pbotp_digits: expected a whole number from 1 to 19/],
    ['pbotp_url = ftp://x.example\n', /pbotp_url: base URL must be http or https/],
    ['mode = hotp\n', /mode: expected one of totp, pbotp/],
  ])('refuses %j', (line, message) => {
    expect(() => loadSettings({ config: confFile(`[general]\n${line}`), env: {} })).toThrow(message);
  });

  it('lets the dialplan choose the mode per call', () => {
    const base = loadSettings({ env: { AST_CONFIG_DIR: '/nonexistent' } });
    expect(applyCallArguments(base, ['mode=pbotp']).mode).toBe('pbotp');
    expect(() => applyCallArguments(base, ['pbotp_group=x'])).toThrow(/unknown setting/);
  });
});
