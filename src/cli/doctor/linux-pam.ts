// This system's Linux-PAM, as doctor's PAM check needs it: its version, from
// the package manager (pam_exec.so comes with libpam-modules on Debian and
// Ubuntu, with pam on RHEL, Fedora and SUSE), and the lines of the PAM
// services that run the pbotp steps through pam_exec.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PAM_SERVICE_DIR = '/etc/pam.d';
const MAX_SERVICE_FILE = 1 << 20;

const QUERIES = [
  { cmd: 'dpkg-query', args: ['-W', '-f=${Version}\\n', 'libpam-modules'] },
  { cmd: 'rpm', args: ['-q', '--queryformat', '%{VERSION}\\n', 'pam'] },
] as const;

/** Linux-PAM's upstream version ("1.5.2"), and which tool told; null when no package manager knows it. */
export function linuxPamVersion(): { version: string; from: string } | null {
  for (const q of QUERIES) {
    const r = spawnSync(q.cmd, q.args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    // Debian's "1:1.5.2-6+deb12u1" (epoch, upstream, revision); one line per architecture installed.
    const m = r.status === 0 ? /^(?:\d+:)?(\d+(?:\.\d+)+)/.exec(r.stdout.trim()) : null;
    if (m) return { version: m[1]!, from: q.cmd };
  }
  return null;
}

/** Whether dotted `version` is `min` or later. */
export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split('.').map(Number);
  for (const [i, want] of min.entries()) {
    const have = parts[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}

export interface StepLine {
  /** FILE:LINE */
  where: string;
  /** The words after the step's name: its key=value parameters. */
  params: string[];
  quietLog: boolean;
}

/** The lines of the services in `dir` that start a pbotp PAM step through pam_exec.so. */
export function pbotpStepLines(dir = PAM_SERVICE_DIR): StepLine[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: StepLine[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let text: string;
    try {
      const st = statSync(path);
      if (!st.isFile() || st.size > MAX_SERVICE_FILE) continue;
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((raw, i) => {
      const words = raw.trim().split(/\s+/);
      if (words[0]?.startsWith('#') || !words.some((w) => /(^|\/)pam_exec\.so$/.test(w))) return;
      const step = words.findIndex((w, k) => (w === 'pam-challenge' || w === 'pam-verify') && words[k - 1] === 'pbotp');
      if (step < 0) return;
      out.push({ where: `${path}:${i + 1}`, params: words.slice(step + 1), quietLog: words.slice(0, step).includes('quiet_log') });
    });
  }
  return out;
}
