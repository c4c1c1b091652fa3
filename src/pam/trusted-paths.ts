// The files and the directory the PAM steps trust are only as safe as the
// directories above them: a user who can rename entries in any ancestor can
// swap a checked path for another one between the check and the use (a
// symlink swapped in with renameat2 RENAME_EXCHANGE, in a loop), and root
// then reads that user's config or sweeps and writes in a directory of that
// user's choosing. So every directory on the way must be root's and closed
// to writes by group and others, or sticky (as /tmp is: others may add
// entries there but not replace root's).
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { PamConfigError } from './errors.js';

const MAX_LINKS = 40;
const STICKY = 0o1000;

function isOurs(st: Stats): boolean {
  return st.uid === 0 || st.uid === process.geteuid?.();
}

/**
 * Refuses `path` unless every directory above it, following symbolic links
 * the way the kernel will, is root's and writable by no one else (unless
 * sticky). A link must be root's too: in a sticky directory its owner may
 * still replace it.
 */
export function checkAncestors(path: string, what: string): void {
  const pending = resolve(path)
    .split('/')
    .filter((p) => p !== '');
  pending.pop();
  const refuse = (dir: string, why: string) => new PamConfigError(`${what} ${path}: ${dir} ${why}`);
  const checkDir = (dir: string, st: Stats) => {
    if (!st.isDirectory()) throw refuse(dir, 'is not a directory');
    if (!isOurs(st)) throw refuse(dir, `is owned by uid ${st.uid}, not root`);
    if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) throw refuse(dir, 'is writable by group or others');
  };
  let current = '/';
  checkDir(current, lstatSync(current));
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    // The directory above was checked on the way down.
    if (part === '..') {
      current = resolve(current, '..');
      continue;
    }
    const next = join(current, part);
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (err) {
      throw refuse(next, `cannot be checked: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (st.isSymbolicLink()) {
      if (!isOurs(st)) throw refuse(next, `is a link owned by uid ${st.uid}, not root`);
      if (++links > MAX_LINKS) throw refuse(next, 'has too many levels of links');
      const target = readlinkSync(next);
      pending.unshift(...target.split('/').filter((p) => p !== ''));
      if (target.startsWith('/')) current = '/';
      continue;
    }
    checkDir(next, st);
    current = next;
  }
}

/** Reads a small file that must be root's (or ours) and writable by no one else. */
export function readTrustedFile(path: string, what: string): string | null {
  checkAncestors(path, what);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PamConfigError(`cannot open ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PamConfigError(`${what} ${path} is not a regular file`);
    if (st.uid !== 0 && st.uid !== process.geteuid?.()) throw new PamConfigError(`${what} ${path} must be owned by root`);
    if ((st.mode & 0o022) !== 0) throw new PamConfigError(`${what} ${path} is writable by group or others`);
    if (st.size > 1 << 20) throw new PamConfigError(`${what} ${path} is too large`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
