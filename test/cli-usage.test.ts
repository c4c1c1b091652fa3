// How the CLI answers a wrong command line: exit status 2, one sentence and a
// pointer to the help; --help and --version everywhere.
import { describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';

describe('astotp command line', () => {
  const site = new CliSite();

  it.each([
    [['frobnicate'], /unknown command "frobnicate"$/],
    [['enrol', '1001'], /unknown command "enrol"; did you mean enroll\?$/],
    [['dcotor'], /unknown command "dcotor"; did you mean doctor\?$/],
    [['pbtop', 'genkey'], /unknown command "pbtop"; did you mean pbotp\?$/],
    [['pbotp', 'respnd'], /unknown command "pbotp respnd"; did you mean pbotp respond\?$/],
    [['enroll', '1001', '--secert', 'JBSWY3DPEHPK3PXP'], /unknown option --secert; did you mean --secret\?$/],
    [['--cofnig', '/dev/null', 'list'], /unknown option --cofnig; did you mean --config\?$/],
    [['enroll'], /missing <user>/],
    [['enroll', '1001', '--bogus'], /unknown option --bogus/],
    [['enroll', '1001', '--digits', '7'], /--digits: expected one of 6, 8/],
    [['enroll', '1001', '--period', '14'], /--period: expected a whole number from 15 to 300/],
    [['enroll', '1001', '--algorithm', 'MD5'], /--algorithm: expected one of SHA1, SHA256, SHA512/],
    [['enroll', '1001', '--secret'], /--secret needs a value/],
    [['enroll', '1001', '--secret', 'not-base32!'], /--secret must be base32/],
    [['enroll', '1001', '--no-pin', '--pin-stdin'], /exclude each other/],
    [['enroll', 'bad id'], /user ID "bad id" is not valid/],
    [['list', 'extra'], /takes no arguments besides options/],
    [['set-pin', '1001', '4321'], /^astotp: too many arguments: only <user> expected$/],
    [['list', '--json=yes'], /--json takes no value/],
    [['verify', '1001'], /missing <code>/],
    [['log', '--since', 'yesterday'], /--since "yesterday"/],
    [['log', '--limit', '0'], /--limit must be a whole number/],
    [['--db'], /--db needs a value/],
  ])('astotp %j exits 2 with a one-line reason and a hint', (args, reason) => {
    const r = site.cli(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(r.stderr).not.toContain('4321');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^astotp: /);
    expect(lines[0]).toMatch(reason);
    expect(lines[1]).toMatch(/^Run 'astotp (help [a-z-]+|--help)' for usage\.$/);
  });

  it('shows help with --help anywhere and with astotp help', () => {
    const general = site.cli(['--help']);
    expect(general.status).toBe(0);
    for (const cmd of [
      'enroll',
      'list',
      'show',
      'set-pin',
      'reset',
      'disable',
      'enable',
      'unlock',
      'remove',
      'verify',
      'log',
      'doctor',
      'install-sounds',
      'simulate',
      'pbotp',
    ]) {
      expect(general.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    }
    for (const args of [
      ['help', 'enroll'],
      ['enroll', '--help'],
      ['enroll', '1001', '--bogus', '--help'],
      ['--help', 'enroll'],
    ]) {
      const r = site.cli(args);
      expect([args, r.status]).toEqual([args, 0]);
      expect(r.stdout).toMatch(/^Usage: astotp enroll USER/);
      expect(r.stdout).toContain('--db PATH');
    }
    const none = site.cli([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^Usage: astotp COMMAND/);
  });

  it('suggests the astotp.conf key a misspelt one was meant to be, and none for a word that is simply unknown', () => {
    const conf = new CliSite();
    conf.config({ tires: 3, colour: 'blue' }, { door: { pin_timout: 5 } });
    const r = conf.cli(['list']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/astotp\.conf:3: tires: unknown setting; did you mean tries\? \(known: db, /);
    expect(r.stderr).toMatch(/astotp\.conf:4: colour: unknown setting \(known: db, /);
    expect(r.stderr).toMatch(/astotp\.conf:7: \[door\] pin_timout: unknown setting; did you mean pin_timeout\? \(known: tries, /);
  });

  it('prints its version', () => {
    const r = site.cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^astotp \d+\.\d+\.\d+\n$/);
  });

  it('says in one line that a database is missing, without a stack trace', () => {
    for (const cmd of [['list'], ['show', '1001'], ['log'], ['verify', '1001', '123456']]) {
      const r = site.cli(cmd);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^astotp: database .*astotp\.sqlite3 does not exist \(astotp (init or astotp )?enroll creates it\)$/m);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
