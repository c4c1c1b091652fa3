// astotp doctor on a working site and on the usual ways a site breaks.
import { createSocket } from 'node:dgram';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PROMPT_NAMES } from '../src/sounds/prompts.js';
import { CliSite } from './helpers/cli-site.js';
import { tempDir } from './helpers/temp.js';

interface Report {
  ok: boolean;
  checks: Array<{ check: string; status: 'PASS' | 'WARN' | 'FAIL'; message: string }>;
}

function workingSite(): CliSite {
  const site = new CliSite();
  site.enroll('1001', '4321');
  const sounds = site.cli(['install-sounds']);
  expect(sounds.status, sounds.stderr).toBe(0);
  expect(sounds.stdout).toContain(site.soundsDir);
  return site;
}

function failed(site: CliSite): Record<string, string> {
  const { result, value } = site.json<Report>(['doctor']);
  expect(result.status).toBe(value.ok ? 0 : 1);
  return Object.fromEntries(value.checks.filter((c) => c.status === 'FAIL').map((c) => [c.check, c.message]));
}

describe('astotp doctor', () => {
  it('passes a working site, with one line per check', () => {
    const site = workingSite();
    const r = site.cli(['doctor']);
    expect(r.status, r.stdout).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^(PASS|WARN) {2}[a-z]+: /);
    for (const check of ['config', 'node', 'addon', 'database', 'key', 'owner', 'sounds', 'clock'])
      expect(r.stdout).toMatch(new RegExp(`^PASS  ${check}: `, 'm'));
    expect(lines.at(-1)).toMatch(/^All essential checks passed/);
    const { value } = site.json<Report>(['doctor']);
    expect(value.ok).toBe(true);
  });

  it('fails a key file others can read, or one that belongs to another database', () => {
    const site = workingSite();
    chmodSync(site.keyFile, 0o644);
    expect(failed(site)).toEqual({ key: expect.stringMatching(/readable by group or others.*chmod 600/) });
    unlinkSync(site.keyFile);
    writeFileSync(site.keyFile, `astotp-key-v1 ${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    expect(failed(site)).toEqual({ key: expect.stringMatching(/not the one database .* was made with/) });
  });

  it('fails pbotp mode without the authority key, and passes it once configured', () => {
    const site = workingSite();
    site.config({ mode: 'pbotp', pbotp_group: 'pbx' });
    expect(failed(site)).toEqual({ pbotp: expect.stringMatching(/pbotp_pubkey/) });
    site.config({ mode: 'pbotp', pbotp_group: 'pbx', pbotp_host: 'pbx1', pbotp_pubkey: 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ' });
    expect(failed(site)).toEqual({});
    expect(site.cli(['doctor']).stdout).toMatch(/^PASS {2}pbotp: group pbx, host pbx1, 9-digit responses$/m);
  });

  it('fails a missing database, sounds not installed, and a config with an unknown key', () => {
    const site = new CliSite();
    site.config({ tries: 3, colour: 'blue' });
    const f = failed(site);
    expect(Object.keys(f).sort()).toEqual(['config', 'database', 'sounds']);
    expect(f.config).toMatch(/colour: unknown setting/);
    expect(f.database).toMatch(/does not exist \(astotp (init or astotp )?enroll creates it\)/);
    expect(f.sounds).toMatch(/missing .* run astotp install-sounds/);
    rmSync(join(site.astDir, 'usr'), { recursive: true });
    expect(failed(site).sounds).toBe(
      `Asterisk's sounds directory ${join(site.astDir, 'usr/share/asterisk/sounds')} does not exist: is Asterisk installed? (AST_DATA_DIR names its data directory if it lives elsewhere)`,
    );
    const text = site.cli(['doctor']);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}database: /m);
  });

  it('checks every installed language: one missing its prompts fails, naming it', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    expect(site.cli(['doctor']).stdout).toMatch(
      new RegExp(`^PASS {2}sounds: all ${PROMPT_NAMES.length} prompts in en, es, fr, it, ru `, 'm'),
    );
    const fr = join(dirname(dirname(site.soundsDir)), 'fr', 'otp');
    for (const ext of ['wav', 'ulaw', 'gsm', 'sln16']) unlinkSync(join(fr, `astotp-group.${ext}`));
    const f = failed(site);
    expect(Object.keys(f)).toEqual(['sounds']);
    expect(f.sounds).toBe(`1 of ${PROMPT_NAMES.length} prompts missing in ${fr} (astotp-group); run astotp install-sounds --lang fr`);
    expect(site.cli(['doctor']).stdout).toMatch(new RegExp(`^PASS {2}sounds: all ${PROMPT_NAMES.length} prompts in en, es, it, ru `, 'm'));
  });

  it.runIf(process.geteuid?.() === 0)(
    'says which prompt directory or file the Asterisk user cannot read, not that prompts are missing',
    () => {
      const site = workingSite();
      onTestFinished(() => site.remove());
      for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
      for (const f of [site.varDir, site.db, site.keyFile]) chownSync(f, 65534, 65534);
      expect(failed(site)).toEqual({});
      chmodSync(site.soundsDir, 0o700);
      expect(failed(site)).toEqual({
        sounds: `${site.soundsDir} is not readable by nobody (owner root, mode 700), so Asterisk plays none of the en prompts in ${site.soundsDir}: chmod 755 ${site.soundsDir}`,
      });
      // install-sounds, as root, finds every file there and keeps it: no use telling the admin to run it.
      expect(site.cli(['install-sounds', '--lang', 'en']).stdout).toContain('en: installed 0 prompt files');
      chmodSync(site.soundsDir, 0o755);
      chmodSync(join(site.soundsDir, 'astotp-group.wav'), 0o600);
      expect(failed(site).sounds).toBe(
        `1 prompt file in ${site.soundsDir} is not readable by nobody (astotp-group.wav: owner root, mode 600), so Asterisk cannot play it: chmod 644 ${join(site.soundsDir, 'astotp-*')}`,
      );
    },
  );

  it('notices prompts left behind in a voice that update-alternatives switched away from', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.enroll('1001', '4321');
    // Debian: sounds/fr is a link to one installed voice of the core sounds.
    const root = dirname(dirname(site.soundsDir));
    for (const voice of ['fr_CA_f_June', 'fr_FR_f_Other']) {
      mkdirSync(join(root, voice, 'digits'), { recursive: true });
      writeFileSync(join(root, voice, 'digits', '1.gsm'), '');
    }
    symlinkSync('fr_CA_f_June', join(root, 'fr'));
    expect(site.cli(['install-sounds']).status).toBe(0);
    expect(site.cli(['doctor']).stdout).toMatch(
      new RegExp(`^PASS {2}sounds: all ${PROMPT_NAMES.length} prompts in en, es, fr, it, ru `, 'm'),
    );
    unlinkSync(join(root, 'fr'));
    symlinkSync('fr_FR_f_Other', join(root, 'fr'));
    expect(failed(site)).toEqual({
      sounds: `the fr prompts are in ${join(root, 'fr_CA_f_June', 'otp')}, but ${join(root, 'fr')} now leads to ${realpathSync(join(root, 'fr_FR_f_Other'))} (another voice, as update-alternatives switches them), which has none: run astotp install-sounds --lang fr`,
    });
    expect(site.cli(['install-sounds', '--lang', 'fr']).status).toBe(0);
    expect(failed(site)).toEqual({});
  });

  it('lists every config error with file and line: a duplicate key, a bad value, an unknown key', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    const conf = join(site.confDir, 'astotp.conf');
    writeFileSync(conf, '[general]\nask_pin = yes\ntries = 3\nask_pin = no\ntimeout = forever\ncolour = blue\n');
    const { result, value } = site.json<Report>(['doctor']);
    expect(result.status).toBe(1);
    expect(value.checks.filter((c) => c.check === 'config' && c.status === 'FAIL').map((c) => c.message)).toEqual([
      `${conf}:4: key "ask_pin" is already set on line 2`,
      `${conf}:5: timeout: expected a whole number from 1 to 120`,
      expect.stringMatching(new RegExp(`^${conf}:6: colour: unknown setting`)),
    ]);
    expect(site.cli(['doctor']).stdout).toContain(`FAIL  config: ${conf}:4: key "ask_pin" is already set on line 2\n`);
  });

  it('fails a bad issuer at its line, and enroll reports the same line instead of blaming --issuer', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    site.config({ issuer: 'Acme Co:PBX' });
    const conf = join(site.confDir, 'astotp.conf');
    const problem = `${conf}:3: issuer: expected 1 to 64 characters, without ":"`;
    expect(failed(site).config).toBe(problem);
    const r = site.cli(['enroll', '1002', '--no-confirm', '--no-pin', '--qr', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`astotp: ${problem}\n`);
    const given = site.cli(['enroll', '1002', '--config', '/dev/null', '--issuer', 'a:b', '--no-confirm', '--no-pin', '--qr', 'none']);
    expect(given.stderr).toMatch(/^astotp: --issuer: expected 1 to 64 characters, without ":"$/m);
  });

  it('fails users whose codes are longer than a call asks for', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    site.config({ digits: 8 });
    site.enroll('2001', null, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', ['--digits', '8']);
    expect(failed(site)).toEqual({});
    site.config({ digits: 6 });
    expect(failed(site)).toEqual({
      digits: 'calls take codes of up to 6 digits, so 2001 cannot log in (longer codes); set digits = 8 in astotp.conf',
    });
  });

  it('fails a corrupt database', () => {
    const site = workingSite();
    writeFileSync(site.db, 'this is not SQLite'.repeat(100));
    expect(failed(site)).toEqual({ database: expect.stringMatching(/corrupt or not a database|not a database/) });
  });

  it('runs every check past a failure: a corrupt database hides neither a key file others can read nor missing prompts', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    writeFileSync(site.db, 'this is not SQLite'.repeat(100));
    chmodSync(site.keyFile, 0o644);
    unlinkSync(join(site.soundsDir, 'astotp-group.gsm'));
    for (const ext of ['wav', 'ulaw', 'sln16']) unlinkSync(join(site.soundsDir, `astotp-group.${ext}`));
    expect(failed(site)).toEqual({
      database: expect.stringMatching(/not a database/),
      key: expect.stringMatching(/readable by group or others.*chmod 600/),
      sounds: expect.stringMatching(new RegExp(`^1 of ${PROMPT_NAMES.length} prompts missing`)),
    });
    chmodSync(site.keyFile, 0o600);
    expect(site.cli(['doctor']).stdout).toMatch(/^PASS {2}key: .* has mode 600; not compared with the database, which did not open$/m);
  });

  it.runIf(process.geteuid?.() === 0)('fails a key file the Asterisk user cannot read', () => {
    const site = workingSite();
    for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
    for (const f of [site.varDir, site.db]) chownSync(f, 65534, 65534);
    const f = failed(site);
    expect(f.owner).toMatch(new RegExp(`cannot use: ${join(site.varDir, 'astotp.key')} \\(owner root, mode 600\\)`));
  });

  it("warns when the running Asterisk's environment makes every classic call load NODE_EXTRA_CA_CERTS", () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    /** A process named asterisk, as ps shows Asterisk, with the environment given. */
    const asterisk = (env: Record<string, string>): number => {
      const exe = join(tempDir('astotp-fake-asterisk-'), 'asterisk');
      copyFileSync('/bin/sleep', exe);
      const child = spawn(exe, ['60'], { env, stdio: 'ignore' });
      onTestFinished(() => void child.kill());
      return child.pid!;
    };
    const runDir = join(site.astDir, 'var/run/asterisk');
    mkdirSync(runDir, { recursive: true });
    const lines = (pid: number) =>
      site
        .json<Report>(['doctor'], '', { AST_RUN_DIR: runDir })
        .value.checks.filter((c) => c.check === 'asterisk' && c.message.startsWith(`Asterisk (pid ${pid}) `));
    const slow = asterisk({ PATH: '/usr/bin:/bin', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' });
    // No pid file: every process named asterisk.
    expect(lines(slow)).toEqual([
      {
        check: 'asterisk',
        status: 'WARN',
        message: expect.stringMatching(
          /^Asterisk \(pid \d+\) runs with NODE_EXTRA_CA_CERTS=\/etc\/ssl\/certs\/ca-certificates\.crt: Node reads and parses that file at every start, so every classic call takes about 35 ms longer/,
        ),
      },
    ]);
    const clean = asterisk({ PATH: '/usr/bin:/bin' });
    writeFileSync(join(runDir, 'asterisk.pid'), `${clean}\n`);
    expect(lines(clean)).toEqual([
      { check: 'asterisk', status: 'PASS', message: `Asterisk (pid ${clean}) runs without NODE_EXTRA_CA_CERTS` },
    ]);
    expect(lines(slow)).toEqual([]);
    if (process.geteuid?.() !== 0) return;
    // Root's doctor acts as the Asterisk user, who may not read root's processes: it reads them as root.
    for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
    for (const f of [site.varDir, site.db, site.keyFile]) chownSync(f, 65534, 65534);
    writeFileSync(join(runDir, 'asterisk.pid'), `${slow}\n`);
    expect(lines(slow).map((c) => c.status)).toEqual(['WARN']);
  });

  describe('the dialplan', () => {
    function warnings(site: CliSite): Array<{ check: string; message: string }> {
      const { value } = site.json<Report>(['doctor']);
      return value.checks.filter((c) => c.status === 'WARN' && ['dialplan', 'profile'].includes(c.check));
    }

    it('warns about caller data interpolated into astotp arguments, following #include but never #exec', () => {
      const site = workingSite();
      const marker = join(site.astDir, 'exec-ran');
      writeFileSync(
        join(site.confDir, 'extensions.conf'),
        [
          '[from-phones]',
          'exten => 777,1,AGI(otp/astotp,user=${CALLERID(num)})  ; the old README',
          'exten => 778,1,AGI(otp/astotp,profile=door,user=${FILTER(0-9,${CALLERID(num)})})',
          'exten => 779,1,AGI(otp/astotp,user=callerid)',
          'exten => 780,1,NoOp(${CALLERID(num)})',
          `#exec /bin/sh -c "touch ${marker}"`,
          '#include "otp-*.conf"',
          '#include missing.conf',
        ].join('\n'),
      );
      writeFileSync(join(site.confDir, 'otp-fastagi.conf'), 'exten => 781,1,AGI(agi://127.0.0.1/otp?user=${EXTEN})\n');
      site.config({}, { door: { ask_pin: 'yes' } });
      const w = warnings(site);
      expect(existsSync(marker)).toBe(false);
      expect(w).toEqual([
        {
          check: 'dialplan',
          status: 'WARN',
          message: expect.stringMatching(
            /extensions\.conf:2: \$\{CALLERID\(num\)\} goes into astotp's arguments unfiltered.*user=callerid.*FILTER/,
          ),
        },
        { check: 'dialplan', status: 'WARN', message: expect.stringMatching(/otp-fastagi\.conf:1: \$\{EXTEN\} goes into/) },
        {
          check: 'dialplan',
          status: 'WARN',
          message: expect.stringMatching(/otp-fastagi\.conf:1: AGI\(agi:\/\/127\.0\.0\.1\/otp\) passes no FastAGI secret/),
        },
        {
          check: 'dialplan',
          status: 'WARN',
          message: `not read, so not checked: ${join(site.confDir, 'extensions.conf')}:6 (#exec is not run), ${join(site.confDir, 'missing.conf')}`,
        },
      ]);
    });

    /** Line numbers of extensions.conf that doctor warns about. */
    function warnedLines(site: CliSite, dialplan: string[]): number[] {
      writeFileSync(join(site.confDir, 'extensions.conf'), dialplan.join('\n'));
      return warnings(site).flatMap((c) => /extensions\.conf:(\d+): /.exec(c.message)?.slice(1).map(Number) ?? []);
    }

    it('expands a FILTER set as Asterisk does and warns when it lets argument syntax through', () => {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      const filtered = (set: string): string => `exten => 1,1,AGI(otp/astotp,user=\${FILTER(${set},\${CALLERID(num)})})`;
      expect(
        warnedLines(site, [
          filtered('+-9'), // the range + to 9 holds ","
          filtered(String.raw`0-9\,`),
          filtered(String.raw`0-9\x2c`),
          filtered(String.raw`0-9\054`),
          filtered('"0-9,"'), // quoted: the comma is in the set
          filtered('9-0'), // wraps past 255, through every character
          filtered(String.raw`0-9\n`),
          filtered(String.raw`0-9\xZZ`), // Asterisk refuses it; doctor cannot tell
          filtered('${ALLOWED}'),
          filtered('0-9').replace('FILTER', 'filter'), // no such function: not a filter
          filtered(String.raw`0-9A-Za-z+\x2d_`),
          filtered('0-9'),
        ]),
      ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Each says what its set lets through, as Asterisk expands it.
      const why = warnings(site).map((c) => /goes into astotp's arguments (.*?); a caller can/.exec(c.message)?.[1]);
      expect(why).toEqual([
        'filtered, but its set lets argument syntax through: the range +-9 holds ","',
        String.raw`filtered, but its set lets argument syntax through: \, is ","`,
        String.raw`filtered, but its set lets argument syntax through: \x2c is ","`,
        String.raw`filtered, but its set lets argument syntax through: \054 is ","`,
        'filtered, but its set lets argument syntax through: "," is in it',
        String.raw`filtered, but its set lets argument syntax through: the range 9-0 holds "&" "," "=" "?" "|" \x01 and 31 more`,
        String.raw`filtered, but its set lets argument syntax through: \n is \x0a`,
        String.raw`filtered, but Asterisk cannot read its set 0-9\xZZ, so doctor cannot tell what it lets through`,
        'filtered, but its set ${ALLOWED} is substituted when the call runs, so doctor cannot tell what it holds',
        'unfiltered',
      ]);
    });

    it('reads ${...} by its braces, so a bracket inside a FILTER hides no caller data after it', () => {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      writeFileSync(
        join(site.confDir, 'extensions.conf'),
        [
          'exten => 1,1,AGI(otp/astotp,user=${FILTER(0-9,[)},${CALLERID(name)})',
          'exten => 2,1,AGI(otp/astotp,user=${FILTER(0-9,(${CALLERID(num)})}$[${CALLERID(name)}+0])',
        ].join('\n'),
      );
      expect(warnings(site).map((c) => c.message)).toEqual([
        expect.stringMatching(/extensions\.conf:1: \$\{CALLERID\(name\)\} goes into astotp's arguments unfiltered/),
        expect.stringMatching(/extensions\.conf:2: \$\[\$\{CALLERID\(name\)\}\+0\] goes into astotp's arguments unfiltered/),
      ]);
    });

    it('finds astotp under a quoted, renamed or FastAGI HA script name, and warns when a variable names the script', () => {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      const w = warnedLines(site, [
        'exten => 1,1,AGI("otp/astotp",user=${CALLERID(num)})',
        'exten => 2,1,AGI(hagi://pbx.example/otp?user=${EXTEN})',
        'exten => 3,1,AGI(otp/astotp2,user=${CALLERID(num)})',
        'exten => 4,1,AGI(otp/2fa,profile=door,user=${CALLERID(num)})',
        'exten => 5,1,AGI(agi://${OTP_HOST}/otp)',
        'exten => 6,1,AGI(${OTP_SCRIPT})',
        'exten => 7,1,AGI(other.agi,${CALLERID(num)})',
        'exten => 8,1,AGI(agi://127.0.0.1/weather?city=${CALLERID(name)})',
      ]);
      // Lines 2 and 5 are warned twice: their FastAGI paths carry no secret either.
      expect(w).toEqual([1, 2, 2, 3, 4, 5, 5, 6]);
      expect(warnings(site)[7]!.message).toMatch(
        /extensions\.conf:6: AGI\(\$\{OTP_SCRIPT\}\) names its script through a variable, so doctor cannot tell whether it runs astotp/,
      );
    });

    it('warns about a FastAGI line without the secret, and never shows a secret written out in the dialplan', () => {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      const literal = 'Qx7fLwq9dFx2bN4kT8sV1mZ3yH6jR0pA5cE-uWgYiOs';
      writeFileSync(
        join(site.confDir, 'extensions.conf'),
        [
          'exten => 1,1,AGI(agi://127.0.0.1:4573/otp/${GLOBAL(ASTOTP_FASTAGI_SECRET)})',
          'exten => 2,1,AGI(agi://127.0.0.1/otp?user=callerid)',
          `exten => 3,1,AGI(agi://127.0.0.1/otp/${literal},pin=no)`,
        ].join('\n'),
      );
      const out = site.cli(['doctor']).stdout;
      expect(warnings(site).map((c) => c.message)).toEqual([
        expect.stringMatching(/extensions\.conf:2: AGI\(agi:\/\/127\.0\.0\.1\/otp\) passes no FastAGI secret: .*--print-dialplan/),
      ]);
      expect(out).toMatch(/extensions\.conf:3: AGI\(agi:\/\/127\.0\.0\.1\/otp\/\.\.\.,pin=no\) fails every call/);
      expect(out).not.toContain(literal);
    });

    it('follows #include <file> and lists a file it could not read beside a clean result', () => {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      writeFileSync(join(site.confDir, 'extensions.conf'), '#include <otp.conf>\n#include <absent.conf>\n#tryinclude <optional.conf>\n');
      writeFileSync(join(site.confDir, 'otp.conf'), 'exten => 1,1,AGI(otp/astotp,user=callerid)\n');
      site.config({ ask_pin: 'yes' });
      const out = site.cli(['doctor']).stdout;
      expect(out).toMatch(/^PASS {2}dialplan: 1 line runs astotp in 2 files, none with caller data in its arguments$/m);
      expect(out).toContain(`WARN  dialplan: not read, so not checked: ${join(site.confDir, 'absent.conf')}\n`);
      writeFileSync(join(site.confDir, 'otp.conf'), 'exten => 1,1,AGI(otp/astotp,user=${CALLERID(num)})\n');
      expect(warnings(site).map((c) => c.message)).toEqual([
        expect.stringMatching(/otp\.conf:1: \$\{CALLERID\(num\)\} goes into/),
        `not read, so not checked: ${join(site.confDir, 'absent.conf')}`,
      ]);
    });

    it('passes a dialplan that only uses profiles, user=callerid and FILTER', () => {
      const site = workingSite();
      writeFileSync(
        join(site.confDir, 'extensions.conf'),
        'exten => 1,1,AGI(otp/astotp,profile=door,user=callerid)\nexten => 2,1,AGI(otp/astotp,user=${FILTER(0-9,${CALLERID(num)})})\n',
      );
      site.config({}, { door: { tries: 2 } });
      expect(warnings(site)).toEqual([]);
      expect(site.cli(['doctor']).stdout).toMatch(/^PASS {2}dialplan: 2 lines run astotp in 1 file, none with caller data/m);
    });

    it("fails a line whose own arguments fail every call, by the call's rules, with file and line", () => {
      const site = workingSite();
      onTestFinished(() => site.remove());
      writeFileSync(
        join(site.confDir, 'extensions.conf'),
        [
          'exten => 1,1,AGI(otp/astotp,profile=nosuch)',
          'exten => 2,1,AGI(otp/astotp,pin=no)',
          'exten => 3,1,AGI(otp/astotp,user=callerid,profile=door)',
          'exten => 4,1,AGI(agi://127.0.0.1/otp?profile=nosuch)',
          'exten => 5,1,AGI(otp/astotp,profile=door,user=${FILTER(0-9,${CALLERID(num)})})',
          'exten => 6,1,AGI(otp/astotp,user=alice)',
          'exten => 7,1,AGI(agi://127.0.0.1/otp?profile=door,user=callerid)',
          'exten => 8,1,AGI(otp/astotp,profile=door,user=1001,)',
        ].join('\n'),
      );
      site.config({}, { door: { tries: 2 } });
      const conf = join(site.confDir, 'extensions.conf');
      const { result, value } = site.json<Report>(['doctor']);
      expect(result.status).toBe(1);
      expect(value.checks.filter((c) => c.status === 'FAIL')).toEqual([
        {
          check: 'dialplan',
          status: 'FAIL',
          message: `${conf}:1: AGI(otp/astotp,profile=nosuch) fails every call: no profile "nosuch" in astotp.conf (known: door)`,
        },
        {
          check: 'dialplan',
          status: 'FAIL',
          message: expect.stringMatching(
            new RegExp(`^${conf}:2: AGI\\(otp/astotp,pin=no\\) fails every call: argument pin= is no longer accepted.*put ask_pin = `),
          ),
        },
        {
          check: 'dialplan',
          status: 'FAIL',
          message: expect.stringMatching(new RegExp(`^${conf}:3: .* fails every call: profile= must be the first argument`)),
        },
        {
          check: 'dialplan',
          status: 'FAIL',
          message: expect.stringMatching(new RegExp(`^${conf}:4: .* fails every call: no profile "nosuch"`)),
        },
        {
          check: 'dialplan',
          status: 'FAIL',
          message: expect.stringMatching(new RegExp(`^${conf}:6: .* fails every call: argument user= takes digits only`)),
        },
      ]);
      // With astotp.conf broken its profiles are unknown: only lines that name none are judged.
      site.config({ colour: 'blue' }, { door: { tries: 2 } });
      const lines = site.json<Report>(['doctor']).value.checks.filter((c) => c.check === 'dialplan' && c.status === 'FAIL');
      expect(lines.map((c) => /extensions\.conf:(\d+):/.exec(c.message)?.[1])).toEqual(['2', '6']);
    });

    it('warns that a caller ID without a PIN is one factor', () => {
      const site = workingSite();
      writeFileSync(join(site.confDir, 'extensions.conf'), 'exten => 1,1,AGI(otp/astotp,profile=lobby,user=callerid)\n');
      site.config({}, { lobby: { ask_pin: 'no' }, desk: { ask_pin: 'no', user: 'callerid' } });
      expect(warnings(site).map((c) => c.message)).toEqual([
        expect.stringMatching(/extensions\.conf:1: takes the user from the caller ID and profile lobby asks no PIN: one factor only/),
        expect.stringMatching(/^\[desk\] asks no PIN and takes the user from the caller ID: one factor only/),
      ]);
    });
  });
});

describe('the clock', () => {
  /** A PATH whose timedatectl and chronyc say what the test wants: nothing (exit 1) unless given. */
  function syncTools(timedatectl: string | null): Record<string, string> {
    const bin = tempDir('astotp-bin-');
    writeFileSync(join(bin, 'timedatectl'), timedatectl === null ? '#!/bin/sh\nexit 1\n' : `#!/bin/sh\necho ${timedatectl}\n`, {
      mode: 0o755,
    });
    writeFileSync(join(bin, 'chronyc'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    return { PATH: `${bin}:${process.env.PATH}` };
  }

  const lines = (out: string, check: string) => out.split('\n').filter((l) => l.slice(6).startsWith(`${check}: `));

  /** An SNTP server on a port the OS picks, whose clock is `skewS` seconds off this one. */
  async function sntpServer(skewS: number): Promise<string> {
    const socket = createSocket('udp4');
    onTestFinished(() => new Promise<void>((done) => socket.close(() => done())));
    socket.on('message', (req, from) => {
      const ntp = (ms: number, b: Buffer, at: number) => {
        b.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, at);
        b.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), at + 4);
      };
      const reply = Buffer.alloc(48);
      reply[0] = 0x24; // version 4, mode 4 (server)
      reply[1] = 2; // stratum
      req.copy(reply, 24, 40, 48);
      const now = Date.now() + skewS * 1000;
      ntp(now, reply, 32);
      ntp(now, reply, 40);
      socket.send(reply, from.port, from.address);
    });
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
    return `ntp://127.0.0.1:${(socket.address() as AddressInfo).port}`;
  }

  /** An HTTP server on a port the OS picks whose Date header is `skewS` seconds off; null: no Date header. */
  async function httpServer(skewS: number | null): Promise<string> {
    const server = createServer((_req, res) => {
      if (skewS === null) res.sendDate = false;
      else res.setHeader('Date', new Date(Date.now() + skewS * 1000).toUTCString());
      res.end();
    });
    onTestFinished(() => new Promise<void>((done) => server.close(() => done())));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('warns, exit 0, when nothing says the clock is synchronised; passes when timedatectl does', async () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    const unknown = await site.cliAsync(['doctor'], syncTools(null));
    expect(unknown.status, unknown.stdout).toBe(0);
    expect(lines(unknown.stdout, 'ntp')).toEqual([
      expect.stringMatching(/^WARN {2}ntp: cannot tell whether the clock is synchronised .*clock_source/),
    ]);
    expect(unknown.stdout).toMatch(/^All essential checks passed, \d+ warnings?\.$/m);
    const synced = await site.cliAsync(['doctor'], syncTools('yes'));
    expect(lines(synced.stdout, 'ntp')).toEqual(['PASS  ntp: synchronised (timedatectl)']);
  });

  it('compares the clock with an SNTP clock_source: FAIL beyond half a period, WARN beyond 2 s', async () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    const env = syncTools('yes');
    const cases: Array<[number, number, RegExp]> = [
      [3600, 1, /^FAIL {2}clock: this PBX's clock is 3\d{3}(\.\d+)? s behind the time at ntp:\/\/127\.0\.0\.1:\d+; codes fail beyond 15 s/],
      [-20, 1, /^FAIL {2}clock: this PBX's clock is \d+(\.\d+)? s ahead of the time at ntp:/],
      [6, 0, /^WARN {2}clock: this PBX's clock is \d(\.\d+)? s behind the time at ntp:.*synchronise both with NTP$/],
      [0, 0, /^PASS {2}clock: this PBX's clock is within 2 s of the time at ntp:\/\/127\.0\.0\.1:\d+ \(-?\d+ ms\)$/],
    ];
    for (const [skew, status, line] of cases) {
      site.config({ clock_source: await sntpServer(skew) });
      const r = await site.cliAsync(['doctor'], env);
      expect(r.status, r.stdout).toBe(status);
      expect(lines(r.stdout, 'clock').slice(1)).toEqual([expect.stringMatching(line)]);
    }
  });

  it('reads the Date header of an HTTP clock_source, and warns when it cannot compare', async () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    const env = syncTools('yes');
    site.config({ clock_source: await httpServer(-3600) });
    const off = await site.cliAsync(['doctor'], env);
    expect(off.status).toBe(1);
    expect(lines(off.stdout, 'clock').slice(1)).toEqual([
      expect.stringMatching(
        /^FAIL {2}clock: this PBX's clock is 3\d{3}(\.\d+)? s ahead of the time at http:\/\/127\.0\.0\.1:\d+\/; codes fail beyond 15 s/,
      ),
    ]);
    site.config({ clock_source: await httpServer(null) });
    const undated = await site.cliAsync(['doctor'], env);
    expect(undated.status, undated.stdout).toBe(0);
    expect(lines(undated.stdout, 'clock').slice(1)).toEqual([
      expect.stringMatching(
        /^WARN {2}clock: cannot compare with http:\/\/127\.0\.0\.1:\d+\/ \(clock_source\): the answer has no Date header$/,
      ),
    ]);
  });

  it('refuses a clock_source that is neither NTP nor HTTP, at its line', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    site.config({ clock_source: 'pool.ntp.org' });
    expect(failed(site).config).toBe(
      `${join(site.confDir, 'astotp.conf')}:3: clock_source: expected ntp://HOST[:PORT] or an http:// or https:// URL`,
    );
  });
});
