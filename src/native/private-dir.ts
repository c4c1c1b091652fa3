// A directory only this user can write to, for files we later execute or trust.
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../text/error-message.js';

const OTHERS_WRITE = 0o022;
const STICKY = 0o1000;

/** Why `dir` cannot be trusted, or null when it is ours and closed to others. */
function untrustedReason(dir: string): string | null {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return 'does not exist';
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  const uid = process.geteuid?.() ?? st.uid;
  if (st.uid !== uid) return `is owned by uid ${st.uid}, not ${uid}`;
  if (st.mode & OTHERS_WRITE) return 'is writable by group or others';
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

/**
 * `dir` with every symbolic link resolved, when no one but this user and
 * root can change what lies under it: the directory is private
 * (untrustedReason) and each one above it belongs to root or to us and is
 * writable by no one else, unless it is sticky like /tmp, where others may
 * add names but never rename or remove ours. Files opened below the path
 * returned are then the ones we checked: a link on the way cannot be
 * swapped after the check, for the path has none left.
 */
export function privateRealDir(dir: string): { dir: string } | { problem: string } {
  let real: string;
  try {
    real = realpathSync.native(dir);
  } catch (err) {
    return { problem: `${dir}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` };
  }
  const own = untrustedReason(real);
  if (own) return { problem: `${real} ${own}` };
  const uid = process.geteuid?.();
  for (let up = dirname(real), below = real; up !== below; below = up, up = dirname(up)) {
    const st = lstatSync(up, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return { problem: `${up} is not a directory` };
    if (st.uid !== 0 && st.uid !== uid) return { problem: `${up}, above ${real}, is owned by uid ${st.uid}` };
    if (st.mode & OTHERS_WRITE && !(st.mode & STICKY)) return { problem: `${up}, above ${real}, is writable by group or others` };
  }
  return { dir: real };
}
