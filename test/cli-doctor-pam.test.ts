// astotp doctor --pam-config: the PAM steps' [pbotp-pam] file checked by the
// steps' own rules, through the bundle, with the README's section as the
// working case. Linux-PAM's version comes from dpkg-query or rpm: stand-ins
// on PATH give the version each test needs. (The /etc/pam.d lines, their
// state directory and quiet_log on an old Linux-PAM are checked in the
// real-Asterisk suite's chroot, whose /etc/pam.d the suite may change:
// scripts/e2e/pam.sh.)
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { readmePamSection } from './helpers/pam-stack.js';
import { AUTHORITY_PUB } from './helpers/pbotp-authority.js';
import { tempDir } from './helpers/temp.js';

interface Report {
  ok: boolean;
  checks: Array<{ check: string; status: 'PASS' | 'WARN' | 'FAIL'; message: string }>;
}

const NOBODY = 65534;

/** A directory with stand-ins for the package managers: each prints `version`, or fails when it is null. */
function packageTools(version: string | null): string {
  const bin = tempDir('astotp-pam-version-');
  const script = version === null ? '#!/bin/sh\nexit 1\n' : `#!/bin/sh\nprintf '%s\\n' '${version}'\n`;
  for (const tool of ['dpkg-query', 'rpm']) writeFileSync(join(bin, tool), script, { mode: 0o755 });
  return bin;
}

describe('astotp doctor --pam-config', () => {
  const site = new CliSite();
  const dir = tempDir('astotp-doctor-pam-');
  const newer = packageTools('1:1.7.0-5');
  /** doctor's pam lines as "STATUS message". */
  const pam = (args: string[], tools = newer): string[] => {
    const { value } = site.json<Report>(['doctor', ...args], '', { PATH: `${tools}:/usr/bin:/bin` });
    return value.checks.filter((c) => c.check === 'pam').map((c) => `${c.status} ${c.message}`);
  };
  const conf = (name: string, text: string, mode = 0o644): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };

  it('passes the README’s [pbotp-pam] section: file, public key, baseurl, state directory, Linux-PAM', () => {
    const path = conf('readme.conf', readmePamSection(AUTHORITY_PUB));
    const lines = pam(['--pam-config', path]);
    expect(lines).toContain(`PASS file ${path}: [pbotp-pam] read as the PAM steps read it (root's, closed to others)`);
    expect(lines).toContain(`PASS public key: the authority's ${AUTHORITY_PUB}`);
    expect(lines).toContain('PASS baseurl: challenge URLs below https://auth.example.org/pbotp');
    // No service of this machine names a file in a test's temp dir.
    expect(lines).toContain(`WARN lines: no pam_exec line in /etc/pam.d runs a pbotp step with config=${path}`);
    expect(lines.filter((l) => l.includes('state directory /run/astotp-pam'))).toHaveLength(1);
    expect(lines).toContain('PASS Linux-PAM 1.7.0 (dpkg-query): pam_exec takes quiet_log');
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  });

  it('fails what would fail every login, and warns of what the pam_exec lines must give', () => {
    expect(pam(['--pam-config', join(dir, 'missing.conf')])).toContain(`FAIL file ${join(dir, 'missing.conf')} does not exist`);

    const open = conf('open.conf', readmePamSection(AUTHORITY_PUB), 0o664);
    expect(pam(['--pam-config', open])).toContain(`FAIL file: config file ${open} is writable by group or others`);

    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, NOBODY, NOBODY);
    const below = join(theirs, 'pam.conf');
    writeFileSync(below, readmePamSection(AUTHORITY_PUB), { mode: 0o644 });
    expect(pam(['--pam-config', below])).toContain(`FAIL file: config file ${below}: ${theirs} is owned by uid ${NOBODY}, not root`);

    const typo = conf('typo.conf', '[pbotp-pam]\nlenght = 9\n');
    expect(pam(['--pam-config', typo])).toContainEqual(
      expect.stringMatching(/^FAIL file: .*typo\.conf:2: unknown key "lenght" in \[pbotp-pam\]$/),
    );

    const bad = pam(['--pam-config', conf('bad.conf', '[pbotp-pam]\npubkey = AAAA\nbaseurl = ftp://auth.example.org/\ngroup = ssh\n')]);
    expect(bad).toContainEqual(expect.stringMatching(/^FAIL public key: .*\(every login would fail\)$/));
    expect(bad).toContain('FAIL baseurl: base URL must be http or https (every login would fail)');

    const keyFile = join(dir, 'gone.pub');
    const plain = pam(['--pam-config', conf('plain.conf', `[pbotp-pam]\npubkey_file = ${keyFile}\nbaseurl = http://auth.example.org/\n`)]);
    expect(plain).toContain(`FAIL public key: public key file ${keyFile} does not exist (every login would fail)`);
    expect(plain).toContain('WARN baseurl http://auth.example.org is plain http: put the responder behind TLS');

    const empty = conf('empty.conf', '[general]\ntries = 3\n');
    expect(pam(['--pam-config', empty])).toEqual(
      expect.arrayContaining([
        `WARN file ${empty} has no [pbotp-pam] keys: every parameter must be on the pam_exec lines`,
        `WARN public key: neither pubkey nor pubkey_file in ${empty}: the pam_exec lines must set it`,
        `WARN baseurl not set in ${empty}: the pam_exec lines must set it`,
      ]),
    );
  });

  it('reads Linux-PAM’s version from the package manager, and says when it cannot', () => {
    const path = conf('version.conf', readmePamSection(AUTHORITY_PUB));
    expect(pam(['--pam-config', path], packageTools('1.5.2-6+deb12u1'))).toContain(
      'PASS Linux-PAM 1.5.2 (dpkg-query): pam_exec takes quiet_log',
    );
    expect(pam(['--pam-config', path], packageTools(null))).toContain(
      "WARN cannot tell Linux-PAM's version (neither dpkg-query nor rpm knows it): quiet_log needs 1.5.2 or later",
    );
  });

  it.skipIf(existsSync('/etc/pbotp/pam.conf'))('says nothing of PAM without --pam-config where /etc/pbotp/pam.conf does not exist', () => {
    expect(pam([])).toEqual([]);
  });
});
