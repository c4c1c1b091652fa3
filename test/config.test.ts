// astotp.conf and dialplan arguments: defaults that work without a file, and
// a refusal, never a silent fallback, for anything misspelt or out of range.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConf } from '../src/config/conf-file.js';
import { applyCallArguments, loadSettings } from '../src/config/settings.js';

function confFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'astotp-conf-')), 'astotp.conf');
  writeFileSync(path, text);
  return path;
}

describe('astotp.conf', () => {
  it('reads sections, => and comments the way Asterisk does', () => {
    const c = parseConf('; header\n[General]\ntries => 2 ; two\nissuer = ACME \\; PBX\n');
    expect(c.problems).toEqual([]);
    expect(c.sections.get('general')).toEqual(new Map([['tries', '2'], ['issuer', 'ACME ; PBX']]));
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
