// astotp doctor on a working site and on the usual ways a site breaks.
import { chmodSync, chownSync, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CliSite } from './helpers/cli-site.js';

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
    for (const check of ['config', 'node', 'addon', 'database', 'key', 'owner', 'sounds', 'clock']) expect(r.stdout).toMatch(new RegExp(`^PASS  ${check}: `, 'm'));
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
    const text = site.cli(['doctor']);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}database: /m);
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

  it('fails users whose codes are longer than a call asks for', () => {
    const site = workingSite();
    onTestFinished(() => site.remove());
    site.config({ digits: 8 });
    site.enroll('2001', null, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', ['--digits', '8']);
    expect(failed(site)).toEqual({});
    site.config({ digits: 6 });
    expect(failed(site)).toEqual({ digits: 'calls take codes of up to 6 digits, so 2001 cannot log in (longer codes); set digits = 8 in astotp.conf' });
  });

  it('fails a corrupt database', () => {
    const site = workingSite();
    writeFileSync(site.db, 'this is not SQLite'.repeat(100));
    expect(failed(site)).toEqual({ database: expect.stringMatching(/corrupt or not a database|not a database/) });
  });

  it.runIf(process.geteuid?.() === 0)('fails a key file the Asterisk user cannot read', () => {
    const site = workingSite();
    for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
    for (const f of [site.varDir, site.db]) chownSync(f, 65534, 65534);
    const f = failed(site);
    expect(f.owner).toMatch(new RegExp(`cannot use: ${join(site.varDir, 'astotp.key')} \\(owner root, mode 600\\)`));
  });

  describe('the dialplan', () => {
    function warnings(site: CliSite): Array<{ check: string; message: string }> {
      const { value } = site.json<Report>(['doctor']);
      return value.checks.filter((c) => c.status === 'WARN' && ['dialplan', 'profile'].includes(c.check));
    }

    it('warns about caller data interpolated into astotp arguments, following #include but never #exec', () => {
      const site = workingSite();
      const marker = join(site.astDir, 'exec-ran');
      writeFileSync(join(site.confDir, 'extensions.conf'), [
        '[from-phones]',
        'exten => 777,1,AGI(otp/astotp,user=${CALLERID(num)})  ; the old README',
        'exten => 778,1,AGI(otp/astotp,profile=door,user=${FILTER(0-9,${CALLERID(num)})})',
        'exten => 779,1,AGI(otp/astotp,user=callerid)',
        'exten => 780,1,NoOp(${CALLERID(num)})',
        `#exec /bin/sh -c "touch ${marker}"`,
        '#include "otp-*.conf"',
        '#include missing.conf',
      ].join('\n'));
      writeFileSync(join(site.confDir, 'otp-fastagi.conf'), 'exten => 781,1,AGI(agi://127.0.0.1/otp?user=${EXTEN})\n');
      site.config({}, { door: { ask_pin: 'yes' } });
      const w = warnings(site);
      expect(existsSync(marker)).toBe(false);
      expect(w).toEqual([
        { check: 'dialplan', status: 'WARN', message: expect.stringMatching(/extensions\.conf:2: \$\{CALLERID\(num\)\} goes into astotp's arguments unfiltered.*user=callerid.*FILTER/) },
        { check: 'dialplan', status: 'WARN', message: expect.stringMatching(/otp-fastagi\.conf:1: \$\{EXTEN\} goes into/) },
      ]);
    });

    it('passes a dialplan that only uses profiles, user=callerid and FILTER', () => {
      const site = workingSite();
      writeFileSync(join(site.confDir, 'extensions.conf'), 'exten => 1,1,AGI(otp/astotp,profile=door,user=callerid)\nexten => 2,1,AGI(otp/astotp,user=${FILTER(0-9,${CALLERID(num)})})\n');
      site.config({}, { door: { tries: 2 } });
      expect(warnings(site)).toEqual([]);
      expect(site.cli(['doctor']).stdout).toMatch(/^PASS {2}dialplan: 2 lines run astotp in 1 file, none with caller data/m);
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
