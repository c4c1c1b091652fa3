// A throwaway PBX layout for tests: Asterisk-like directories in a temp dir,
// the built bundle as admin CLI, and TOTP codes from Debian's oathtool, an
// implementation independent of the one under test.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_PATH, runCall, type CallResult, type RunCallOptions } from './asterisk-peer.js';
import { tempDir } from './temp.js';

export const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class Site {
  readonly astDir = tempDir('astotp-site-');
  readonly varDir = join(this.astDir, 'var/lib/asterisk');
  readonly confDir = join(this.astDir, 'etc/asterisk');
  readonly db = join(this.varDir, 'astotp.sqlite3');
  readonly keyFile = join(this.varDir, 'astotp.key');

  constructor() {
    mkdirSync(this.varDir, { recursive: true });
    mkdirSync(this.confDir, { recursive: true });
  }

  /** Deletes the whole site now, not after the test file. */
  remove(): void {
    rmSync(this.astDir, { recursive: true, force: true });
  }

  /** Environment of an admin shell on this PBX. */
  get env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.varDir,
      ASTOTP_DB: this.db,
      ASTOTP_CONF: join(this.confDir, 'astotp.conf'),
    };
  }

  /** [general], then one [NAME] section with type = profile per entry of `profiles`. */
  config(general: Record<string, string | number>, profiles: Record<string, Record<string, string | number>> = {}): void {
    const lines = (entries: Record<string, string | number>) =>
      Object.entries(entries)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join('');
    const sections = Object.entries(profiles).map(([name, p]) => `[${name}]\ntype = profile\n${lines(p)}`);
    writeFileSync(join(this.confDir, 'astotp.conf'), `; written by a test\n[general]\n${lines(general)}${sections.join('')}`);
  }

  /** `env` adds to the admin shell's environment, e.g. { TZ: ... }. */
  cli(args: string[], input = '', env: Record<string, string> = {}): CliResult {
    const r = spawnSync(process.execPath, [BUNDLE_PATH, ...args], {
      env: { ...this.env, ...env },
      input,
      encoding: 'utf8',
      timeout: 30_000,
      // list --json of an import of thousands of users is more than the default 1 MiB.
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Like cli, without blocking this process: for commands that talk to a server the test runs. */
  cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const child = spawn(process.execPath, [BUNDLE_PATH, ...args], {
      env: { ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  enroll(user: string, pin: string | null, secret = SECRET, extra: string[] = []): void {
    const r = this.cli(
      ['enroll', user, '--secret', secret, '--no-confirm', '--qr', 'none', ...(pin === null ? ['--no-pin'] : []), ...extra],
      pin === null ? '' : `${pin}\n`,
    );
    if (r.status !== 0) throw new Error(`enroll ${user} failed (${r.status}): ${r.stderr}`);
  }

  /** A call as Asterisk would place it on this PBX (AST_* dirs point into the site). */
  call(opts: RunCallOptions = {}): Promise<CallResult> {
    return runCall({ astDir: this.astDir, ...opts });
  }
}

/** The current code (or `offset` seconds away) as oathtool computes it. */
export function totp(secret = SECRET, opts: { offset?: number; algorithm?: 'sha1' | 'sha256' | 'sha512'; digits?: number } = {}): string {
  const args = [`--totp=${opts.algorithm ?? 'sha1'}`, '-b', '-d', String(opts.digits ?? 6)];
  if (opts.offset) args.push('-N', `${opts.offset >= 0 ? '+' : ''}${opts.offset} seconds`);
  return execFileSync('oathtool', [...args, secret], { encoding: 'utf8' }).trim();
}

/** The code oathtool computes for the second `at`, for tests that inject the clock. */
export function totpAt(at: number, secret = SECRET): string {
  return execFileSync('oathtool', ['--totp=sha1', '-b', '-d', '6', '-N', `@${at}`, secret], { encoding: 'utf8' }).trim();
}

/** A code that is wrong at `at` (none of the three steps the window accepts), for tests that inject the clock. */
export function wrongAt(at: number, secret = SECRET): string {
  const valid = new Set([totpAt(at - 30, secret), totpAt(at, secret), totpAt(at + 30, secret)]);
  let c = totpAt(at - 3600, secret);
  while (valid.has(c)) c = String((Number(c) + 1) % 1_000_000).padStart(6, '0');
  return c;
}

/** A code that is certainly wrong now: oathtool's code for an hour ago, changed if it happens to match. */
export function wrongCode(secret = SECRET): string {
  const now = new Set([totp(secret), totp(secret, { offset: -30 }), totp(secret, { offset: 30 })]);
  let c = totp(secret, { offset: -3600 });
  while (now.has(c)) c = String((Number(c) + 1) % 1_000_000).padStart(6, '0');
  return c;
}

/** What a caller keys for a recovery code: * and the code, as the code prompt's GET DATA and the read after it take them. */
export function recoveryEntry(code: string, digits = 6): string[] {
  const entry = `*${code}`;
  return [entry.slice(0, digits), entry.slice(digits)];
}
