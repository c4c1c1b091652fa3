// pbotp for PAM logins through a real OpenSSH server: a public key, then
// keyboard-interactive authentication into the README's sshd stack, with the
// README's sshd_config lines and [pbotp-pam] section, taken from README.md
// (only this machine's paths of node, the bundle and the files put in). The
// server runs in inetd mode as the client's ProxyCommand (`sshd -i`), so no
// port is opened; its PAM service is named after the name it is started as
// (OpenSSH uses __progname), so a symlink with a unique name gets a service
// file of its own. The client answers the prompt through SSH_ASKPASS, which
// plays the authority: it finds the challenge URL in the prompt (where older
// servers put the PAM info text) or in what the client printed before it.
// The same stack runs in the real-Asterisk suite's chroot (scripts/e2e/pam.sh).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { AUTHORITY_PRIV, AUTHORITY_PUB } from './helpers/pbotp-authority.js';
import { readmePamSection, readmeSshdConfig, readmeStackHere } from './helpers/pam-stack.js';
import { tempDir } from './helpers/temp.js';

const SSHD = '/usr/sbin/sshd';

function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (sshd -i, /etc/pam.d)';
  if (!existsSync(SSHD)) return 'openssh-server is not installed (scripts/need-debian-tools.sh installs it)';
  if (spawnSync('ssh', ['-V'], { stdio: 'ignore' }).error) return 'the ssh client is not installed';
  return null;
}

const why = unavailable();
if (why && process.env.CI) throw new Error(`pbotp over OpenSSH cannot run in CI: ${why}`);
if (why) console.warn(`SKIPPED pbotp over OpenSSH: ${why}`);

describe.skipIf(why !== null)('pbotp PAM steps behind a real OpenSSH server (keyboard-interactive)', { timeout: 60_000 }, () => {
  const dir = tempDir('astotp-ssh-');
  const name = `astotp-sshtest-${process.pid}`;
  const service = `/etc/pam.d/${name}`;
  const madeRunSshd = !existsSync('/run/sshd');
  afterAll(() => {
    rmSync(service, { force: true });
    if (madeRunSshd) rmSync('/run/sshd', { recursive: true, force: true });
  });

  // sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  writeFileSync(join(dir, 'authority.key'), `${AUTHORITY_PRIV}\n`, { mode: 0o600 });
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
  // The client's key, authorised in a file of the test's own: root's ~/.ssh stays untouched.
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')), { mode: 0o600 });
  symlinkSync(SSHD, join(dir, name));
  const conf = join(dir, 'pam.conf');
  writeFileSync(conf, readmePamSection(AUTHORITY_PUB), { mode: 0o644 });
  // The README's sshd stack in place of common-auth, this test's account and session.
  writeFileSync(
    service,
    [...readmeStackHere('sshd', conf, stateDir), 'account required pam_permit.so', 'session required pam_permit.so', ''].join('\n'),
  );
  // The README's lines first (sshd takes the first value it reads), then what a server started by a test needs.
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      readmeSshdConfig().trimEnd(),
      `HostKey ${join(dir, 'hostkey')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin yes',
      'PidFile none',
      'StrictModes no',
      '',
    ].join('\n'),
  );

  /** Logs in as root; `answer` turns the prompt the client was shown into what it types. */
  function login(answer: 'authority' | 'wrong'): { status: number | null; stdout: string; stderr: string; shown: string } {
    const askpass = join(dir, `askpass-${answer}`);
    const promptFile = join(dir, `prompt-${answer}`);
    const stderrFile = join(dir, `stderr-${answer}`);
    const reply =
      answer === 'authority'
        ? `url=$({ cat ${stderrFile}; printf '%s\\n' "$1"; } | grep -o 'https://auth.example.org/pbotp/[^ ]*' | tail -n 1)\n${process.execPath} ${BUNDLE_PATH} pbotp respond --key ${join(dir, 'authority.key')} "$url" | tail -n 1\n`
        : 'echo 000000000\n';
    writeFileSync(askpass, `#!/bin/sh\nprintf '%s' "$1" > ${promptFile}\n${reply}`, { mode: 0o755 });
    // A file, not a pipe: the askpass script reads what the client printed before the prompt.
    const stderrFd = openSync(stderrFile, 'w');
    const r = spawnSync(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-o',
        `ProxyCommand=${join(dir, name)} -i -f ${join(dir, 'sshd_config')} -E ${join(dir, 'sshd.log')}`,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-i',
        join(dir, 'client'),
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'NumberOfPasswordPrompts=1',
        'root@pbx1',
        'echo',
        'LOGGED-IN',
      ],
      {
        encoding: 'utf8',
        timeout: 45_000,
        stdio: ['ignore', 'pipe', stderrFd],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' },
      },
    );
    closeSync(stderrFd);
    const stderr = readFileSync(stderrFile, 'utf8');
    const prompt = existsSync(promptFile) ? readFileSync(promptFile, 'utf8') : '';
    return { status: r.status, stdout: r.stdout, stderr, shown: `${stderr}\n${prompt}` };
  }

  it('logs in with the authority’s answer to the challenge shown before the keyboard-interactive prompt', () => {
    const r = login('authority');
    expect(r.shown).toMatch(/https:\/\/auth\.example\.org\/pbotp\/ssh\/[^/\s]+\/root\/\S+/);
    expect(r.shown).toMatch(/Password: $/);
    // OpenSSH's client would show an ESC as text: the QR code must not need one.
    expect(r.shown).not.toContain('\u001b');
    expect(r.stdout.trim()).toBe('LOGGED-IN');
    expect(r.status).toBe(0);
  });

  it('refuses a wrong code', () => {
    const r = login('wrong');
    expect(r.shown).toMatch(/Password: $/);
    expect(r.stdout).not.toContain('LOGGED-IN');
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/Permission denied/);
  });
});
