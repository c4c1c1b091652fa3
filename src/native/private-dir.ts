// A directory only this user can write to, for files we later execute or trust.
import { lstatSync, mkdirSync } from 'node:fs';

/** Why `dir` cannot be trusted, or null when it is ours and closed to others. */
export function untrustedReason(dir: string): string | null {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return 'does not exist';
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  const uid = process.geteuid?.() ?? st.uid;
  if (st.uid !== uid) return `is owned by uid ${st.uid}, not ${uid}`;
  if (st.mode & 0o022) return 'is writable by group or others';
  return null;
}

/** Creates `dir` (mode 0700) if missing and returns it only if it can be trusted. */
export function ensurePrivateDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return null;
  }
  return untrustedReason(dir) === null ? dir : null;
}
