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
