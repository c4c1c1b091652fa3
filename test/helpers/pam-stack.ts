// A real Linux-PAM stack for the pbotp PAM steps: a service file under
// /etc/pam.d (removed after the test file) that runs the built bundle through
// pam_exec.so, driven by Debian's pamtester as a PAM application. pamtester
// prints pam_info text on stdout and reads each answer as a line of stdin;
// stdbuf makes its stdout line-buffered, so the challenge shows before the
// prompt waits for its answer, as on a terminal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { readmeBlock } from '../../scripts/readme-blocks.mjs';
import { BUNDLE_PATH } from './asterisk-peer.js';

const PAM_DIR = '/etc/pam.d';
const made: string[] = [];

/** Why a real PAM stack cannot be driven here, or null when it can. */
export function pamUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (pam_exec state dir, /etc/pam.d)';
  if (spawnSync('pamtester', ['--version'], { stdio: 'ignore' }).error) return 'pamtester is not installed (scripts/need-debian-tools.sh)';
  if (spawnSync('stdbuf', ['--version'], { stdio: 'ignore' }).error) return 'stdbuf (coreutils) is missing';
  return null;
}

/** How the README's pam_exec lines start node (this node, by its path). */
export const README_NODE = ['/usr/bin/env', '-u', 'NODE_OPTIONS', '-u', 'NODE_PATH', process.execPath, '--no-warnings'];

/**
 * The pam_exec arguments that run `astotp pbotp STEP PARAMS...`, node named by
 * its path as pam_exec needs; `node` replaces the bare node command (a
 * wrapper such as env, options for node).
 */
export function astotpStep(step: 'pam-challenge' | 'pam-verify', params: string[], node: string[] = [process.execPath]): string {
  return [...node, BUNDLE_PATH, 'pbotp', step, ...params].join(' ');
}

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
/** Where the README's pam_exec lines find node, the bundle and the [pbotp-pam] file. */
const README_PATHS = {
  node: '/usr/bin/node',
  bundle: '/usr/share/asterisk/agi-bin/otp/astotp',
  config: '/etc/pbotp/pam.conf',
};

/** The lines of the PAM stack README.md prints for /etc/pam.d/`service`, as printed. */
export function readmeStack(service: 'sshd' | 'su'): string[] {
  return readmeBlock(README, `\`/etc/pam.d/${service}\``).trimEnd().split('\n');
}

/**
 * The README's stack as an admin installs it on this machine: this node,
 * this bundle, `config` for the [pbotp-pam] file, and `state_dir` added
 * after it; nothing else changed.
 */
export function readmeStackHere(service: 'sshd' | 'su', config: string, stateDir: string): string[] {
  return readmeStack(service).map((line) =>
    line
      .replace(` ${README_PATHS.node} `, ` ${process.execPath} `)
      .replace(` ${README_PATHS.bundle} `, ` ${BUNDLE_PATH} `)
      .replace(` config=${README_PATHS.config}`, ` config=${config} state_dir=${stateDir}`),
  );
}

/** The README's [pbotp-pam] section with the example public key replaced by `pubkey`. */
export function readmePamSection(pubkey: string): string {
  const section = readmeBlock(README, "The parameters are pam_pbotp's");
  if (!/^pubkey = \S+/m.test(section)) throw new Error("README's [pbotp-pam] section has no pubkey line");
  return section.replace(/^pubkey = \S+/m, `pubkey = ${pubkey}`);
}

/** The README's sshd_config lines. */
export function readmeSshdConfig(): string {
  return readmeBlock(README, 'and in `/etc/ssh/sshd_config`');
}

/** Writes a PAM service of these auth lines; returns its name. */
export function pamService(authLines: string[]): string {
  const name = `astotp-test-${randomBytes(6).toString('hex')}`;
  const path = `${PAM_DIR}/${name}`;
  made.push(path);
  writeFileSync(path, `${authLines.map((l) => `auth ${l}`).join('\n')}\naccount required pam_permit.so\n`, { mode: 0o644 });
  return name;
}

export function removePamServices(): void {
  for (const path of made.splice(0)) if (existsSync(path)) rmSync(path);
}

const running = new Set<ChildProcess>();

/** Ends the logins a failed test left waiting at their prompt. */
export function endLogins(): void {
  for (const child of running) child.kill();
  running.clear();
}

export interface PamLogin {
  /** Resolves with the first match of `pattern` in what the conversation has shown so far. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Types `answer` at the prompt; resolves with the login's outcome. */
  answer(answer: string | Buffer): Promise<{ ok: boolean; shown: string }>;
  /** Everything the person logging in has seen so far (pam_info text and prompts). */
  shown(): string;
}

/**
 * `pamtester SERVICE USER OPERATIONS...` (authenticate unless told),
 * started; nothing is typed until answer(). pam_env.so sets its variables in
 * setcred, so a stack that uses it runs `setcred authenticate`.
 */
export function startLogin(service: string, user: string, operations = ['authenticate']): PamLogin {
  const child = spawn('stdbuf', ['-oL', 'pamtester', service, user, ...operations], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('close', () => running.delete(child));
  let shown = '';
  const waiters: (() => void)[] = [];
  const take = (c: Buffer) => {
    shown += c.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  void done.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  let closed = false;
  void done.then(() => (closed = true));
  return {
    shown: () => shown,
    async waitFor(pattern) {
      for (;;) {
        const m = pattern.exec(shown);
        if (m) return m;
        // Nothing more comes before an answer once the verify step asks for it.
        // (The challenge's own text names the prompt in quotes.)
        if (closed || /Password: (?!")/.test(shown))
          throw new Error(`${pattern} did not appear before the prompt; the login showed:\n${shown}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async answer(text) {
      child.stdin.end(typeof text === 'string' ? `${text}\n` : text);
      const code = await done;
      return { ok: code === 0 && /successfully authenticated/.test(shown), shown };
    },
  };
}

/** The URL matching `pattern` once the whole challenge text has arrived (its last line names the prompt). */
export async function challengeUrl(login: PamLogin, pattern: RegExp): Promise<string> {
  await login.waitFor(/at the "Password: " prompt\./);
  return pattern.exec(login.shown())![0];
}

export interface SyslogCapture {
  /** The messages received so far, one a line. */
  lines(): string[];
  /** Resolves once a message matching `pattern` has arrived (they come asynchronously). */
  waitFor(pattern: RegExp): Promise<void>;
  stop(): void;
}

// A datagram socket at /dev/log, where logger sends; Node has no unix datagram sockets.
const CAPTURE = `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/dev/log')
print('ready', flush=True)
while True:
    print(s.recv(65536).decode('utf-8', 'replace').replace('\\n', ' '), flush=True)
`;

// Test files run in parallel and only one can own /dev/log: the one holding
// this file (its PID inside) captures, the others wait for it.
const CAPTURE_LOCK = '/run/astotp-test-syslog.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function lockCapture(): Promise<void> {
  for (;;) {
    try {
      writeFileSync(CAPTURE_LOCK, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(CAPTURE_LOCK, 'utf8'));
    // A test run killed while capturing leaves its lock and socket behind.
    if (!isAlive(holder)) {
      rmSync('/dev/log', { force: true });
      rmSync(CAPTURE_LOCK, { force: true });
    } else await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Keeps /dev/log from appearing (no other test file's capture can make one)
 * until the returned function is called; null when a syslog daemon owns
 * /dev/log here, so a test of what happens without one cannot run.
 */
export async function holdOffSyslog(): Promise<(() => void) | null> {
  await lockCapture();
  if (existsSync('/dev/log')) {
    rmSync(CAPTURE_LOCK);
    return null;
  }
  return () => rmSync(CAPTURE_LOCK, { force: true });
}

/** What reaches syslog while it runs; null when a syslog daemon already owns /dev/log. */
export async function captureSyslog(): Promise<SyslogCapture | null> {
  await lockCapture();
  if (existsSync('/dev/log')) {
    rmSync(CAPTURE_LOCK);
    return null;
  }
  const child = spawn('python3', ['-c', CAPTURE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => reject(new Error('the syslog capture ended early')));
    rl.once('line', () => resolve());
  }).catch((err: unknown) => {
    rmSync(CAPTURE_LOCK, { force: true });
    throw err;
  });
  let stopped = false;
  const waiters: (() => void)[] = [];
  rl.on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  return {
    lines: () => [...lines],
    async waitFor(pattern) {
      while (!lines.some((l) => pattern.test(l))) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill();
      rmSync('/dev/log', { force: true });
      rmSync(CAPTURE_LOCK, { force: true });
    },
  };
}
