// astotp.conf and dialplan arguments: defaults that work without a file, and
// a refusal, never a silent fallback, for anything misspelt or out of range.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConf } from '../src/config/conf-file.js';
import { applyCallArguments } from '../src/config/call-args.js';
import { loadSettings, SettingsError } from '../src/config/settings.js';
import { decodeBase64url } from '../src/pbotp/base64url.js';

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
    expect(c.sections.get('general')).toEqual(
      new Map([
        ['tries', { value: '2', line: 3 }],
        ['issuer', { value: 'ACME ; PBX', line: 4 }],
      ]),
    );
  });

  it('calls a key set twice in one section a problem, naming both lines', () => {
    const c = parseConf(
      '[general]\nask_pin = yes\n\nASK_PIN => no\n[general]\nask_pin = no\n[other]\nask_pin = no\n',
      '/etc/asterisk/astotp.conf',
    );
    expect(c.problems).toEqual([
      '/etc/asterisk/astotp.conf:4: key "ask_pin" is already set on line 2',
      '/etc/asterisk/astotp.conf:6: key "ask_pin" is already set on line 2',
    ]);
    expect(c.sections.get('general')?.get('ask_pin')).toEqual({ value: 'yes', line: 2 });
    expect(c.sections.get('other')?.get('ask_pin')).toEqual({ value: 'no', line: 8 });
  });

  it('works without a file, with Asterisk-style default paths', () => {
    const s = loadSettings({ env: { AST_VAR_DIR: '/srv/ast', AST_CONFIG_DIR: '/nonexistent' } });
    expect(s).toMatchObject({
      db: '/srv/ast/astotp.sqlite3',
      keyFile: '/srv/ast/astotp.key',
      tries: 3,
      window: 1,
      lockoutFailures: 5,
      lockoutMinutes: 15,
      configFile: null,
    });
  });

  it('applies the file, then ASTOTP_DB, then explicit options', () => {
    const config = confFile('[general]\ndb = /a/x.sqlite3\ntimeout = 7\nalgorithm = sha256\n');
    expect(loadSettings({ config, env: {} })).toMatchObject({
      db: '/a/x.sqlite3',
      keyFile: '/a/astotp.key',
      codeTimeoutMs: 7000,
      algorithm: 'SHA256',
    });
    expect(loadSettings({ config, env: { ASTOTP_DB: '/b/y.sqlite3' } }).db).toBe('/b/y.sqlite3');
    expect(loadSettings({ config, env: { ASTOTP_DB: '/b/y.sqlite3' }, db: '/c/z.sqlite3' }).keyFile).toBe('/c/astotp.key');
  });

  it.each([
    ['[general]\nlockout_failurs = 3\n', /lockout_failurs: unknown setting/],
    ['[general]\ntries = 0\n', /tries: expected a whole number from 1 to 10/],
    ['[general]\nwindow = lots\n', /window: expected a whole number/],
    ['[other]\ntries = 2\n', /\[other\]: unknown section \(a call profile says type = profile/],
    ['[door]\ntype = queue\n', /\[door\]: type = queue is not known/],
    ['[door]\ntype = profile\nwindow = 3\n', /\[door\] window: unknown setting/],
    ['[door]\ntype = profile\nlockout_failures = 99\n', /\[door\] lockout_failures: unknown setting/],
    ['[door]\ntype = profile\nuser = 10 01\n', /\[door\] user: expected ask, callerid or a user ID/],
    ['[door]\ntype = profile\ntries = 99\n', /\[door\] tries: expected a whole number from 1 to 10/],
    ['[Door Phone]\ntype = profile\n', /a profile name is 1 to 32/],
    ['[base](!)\ntype = profile\nask_pin = no\n', /:1: \[base\]\(!\): templates and inheritance are not supported/],
    ['[door](base)\ntype = profile\n', /:1: \[door\]\(base\): templates and inheritance are not supported/],
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
      `${config}:6: [other]: unknown section (a call profile says type = profile; settings for every call go in [general])`,
    ]);
  });

  it('names a missing explicit config file', () => {
    expect(() => loadSettings({ config: '/nonexistent/astotp.conf', env: {} })).toThrow(/does not exist/);
  });
});

describe('dialplan arguments', () => {
  const base = loadSettings({ env: { AST_CONFIG_DIR: '/nonexistent' } });
  // A config file lives as long as the test that made it.
  const withProfiles = () =>
    loadSettings({
      config: confFile(
        '[general]\ntries = 2\n[door]\ntype = profile\nask_pin = no\nuser = callerid\ntimeout = 5\n[helpdesk]\ntype = profile\nuser = alice@example\n',
      ),
      env: {},
    });

  it('runs with [general] when there are no arguments', () => {
    expect(applyCallArguments(withProfiles(), [])).toMatchObject({ tries: 2, askPin: true, user: { from: 'prompt' } });
    // AGI(otp/astotp,) and agi://h/otp? leave one empty argument.
    expect(applyCallArguments(withProfiles(), ['']).user).toEqual({ from: 'prompt' });
  });

  it('applies the profile the first argument names, over [general]', () => {
    expect(applyCallArguments(withProfiles(), ['profile=door'])).toMatchObject({
      tries: 2,
      askPin: false,
      idTimeoutMs: 5000,
      user: { from: 'callerid' },
    });
    expect(applyCallArguments(withProfiles(), ['profile=helpdesk']).user).toEqual({ from: 'fixed', id: 'alice@example' });
  });

  it('takes user= as digits, as callerid, or empty (ask)', () => {
    expect(applyCallArguments(base, ['user=1001']).user).toEqual({ from: 'fixed', id: '1001' });
    expect(applyCallArguments(base, ['user=CallerID']).user).toEqual({ from: 'callerid' });
    expect(applyCallArguments(base, ['user=']).user).toEqual({ from: 'prompt' });
    expect(applyCallArguments(withProfiles(), ['profile=door', 'user=1001'])).toMatchObject({
      askPin: false,
      user: { from: 'fixed', id: '1001' },
    });
  });

  it.each([
    // What a caller ID of "1001,pin=no" and its relatives turn user=${CALLERID(num)} into.
    [['user=1001', 'pin=no'], /argument pin= is no longer accepted.*ask_pin = \.\.\. in a \[NAME\] section with type = profile/],
    [['user=1001', 'tries=10'], /argument tries= is no longer accepted.*put tries = /],
    [['user=1001', 'mode=pbotp'], /argument mode= is no longer accepted.*put mode = /],
    [['user=1001', 'timeout=120'], /argument timeout= is no longer accepted/],
    [['user=1001', 'answer=no'], /argument answer= is no longer accepted/],
    [['user=1001', 'sounds=x'], /argument sounds= is no longer accepted/],
    [['user=1001', 'profile=door'], /profile= must be the first argument/],
    [['user=1001', 'user=1002'], /argument user= is given twice/],
    [['profile=door', 'profile=door'], /argument profile= is given twice/],
    [['user=alice'], /user= takes digits only.*FILTER\(0-9/],
    [['user=1001&pin=no'], /user= takes digits only/],
    [['profile=nosuch'], /no profile "nosuch" in astotp.conf \(known: door, helpdesk\)/],
    [['pim=no'], /unknown argument "pim"=/],
    [['db=/tmp/other.sqlite3'], /unknown argument "db"=/],
    [['nonsense'], /argument 1 is not of the form key=value/],
    [['', 'user=1'], /argument 1 is not of the form key=value/],
  ])('refuses %j', (args, message) => {
    expect(() => applyCallArguments(withProfiles(), args)).toThrow(message);
  });

  it('never repeats argument text that is not a plain word', () => {
    expect(() => applyCallArguments(withProfiles(), ['user=1', '1234 5678=x'])).toThrow(/unknown argument \(not shown\)=/);
    expect(() => applyCallArguments(withProfiles(), ['profile=12345678901234567890123456789012345'])).toThrow(/no profile \(not shown\)/);
  });

  it('explains that no profile exists yet', () => {
    expect(() => applyCallArguments(base, ['profile=door'])).toThrow(/none is defined; add a \[NAME\] section with type = profile/);
  });
});

describe('pbotp settings', () => {
  const PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';

  it('reads the authority key, group, host, code length and link base', () => {
    const config = confFile(
      `[general]\nmode = pbotp\npbotp_pubkey = ${PUB}\npbotp_group = dev\npbotp_host = pbx1\npbotp_digits = 12\npbotp_url = https://auth.example.org/p\n`,
    );
    expect(loadSettings({ config, env: {} })).toMatchObject({
      mode: 'pbotp',
      // Parsed once where the file is read: the call takes the key's bytes.
      pbotpPubkey: decodeBase64url(PUB, 32, 'public key'),
      pbotpGroup: 'dev',
      pbotpHost: 'pbx1',
      pbotpDigits: 12,
      pbotpUrl: 'https://auth.example.org/p',
      pbotpTimeoutMs: 60_000,
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
    ['pbotp_group = a/b\n', /pbotp_group: group contains U\+002F: only ASCII letters, digits and _ \. @ - are allowed/],
    ['pbotp_group = d\u0435v\n', /pbotp_group: group contains U\+0435/],
    ['pbotp_host = pbx\u3164\n', /pbotp_host: host contains U\+3164/],
    ['pbotp_host = ..\n', /pbotp_host: host cannot be/],
    ['pbotp_digits = 20\n', /pbotp_digits: expected a whole number from 1 to 19/],
    ['pbotp_url = ftp://x.example\n', /pbotp_url: base URL must be http or https/],
    ['mode = hotp\n', /mode: expected one of totp, pbotp/],
  ])('refuses %j', (line, message) => {
    expect(() => loadSettings({ config: confFile(`[general]\n${line}`), env: {} })).toThrow(message);
  });

  it('lets a profile choose the mode and group per call, but not the authority key', () => {
    const site = loadSettings({
      config: confFile(`[general]\npbotp_pubkey = ${PUB}\n[door]\ntype = profile\nmode = pbotp\npbotp_group = doors\n`),
      env: {},
    });
    expect(applyCallArguments(site, ['profile=door'])).toMatchObject({ mode: 'pbotp', pbotpGroup: 'doors' });
    expect(() => loadSettings({ config: confFile(`[door]\ntype = profile\npbotp_pubkey = ${PUB}\n`), env: {} })).toThrow(
      /\[door\] pbotp_pubkey: unknown setting/,
    );
    expect(() => applyCallArguments(site, ['pbotp_group=x'])).toThrow(/unknown argument/);
  });
});
