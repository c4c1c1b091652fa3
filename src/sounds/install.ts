// Copies astotp's voice prompts into Asterisk's sounds tree (install-sounds)
// and checks they are there (doctor).
import { chmodSync, chownSync, fchmodSync, fchownSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { replaceAtomically } from '../os/files.js';
import { PROMPT_NAMES, SOUND_FILE, SOUND_FORMATS } from './prompts.js';

export interface InstallOptions {
  /** Replace prompt files that already exist (e.g. after an upgrade). */
  overwrite?: boolean;
}

export interface InstallResult {
  /** Full paths of files written. */
  written: string[];
  /** Full paths of files left alone because they existed. */
  skipped: string[];
  /** Non-fatal problems, e.g. a failed chown; the files are still readable. */
  warnings: string[];
}

/**
 * Writes the prompt files (by file name; names that are not plain prompt
 * names are ignored) into targetDir (created 0755 if needed), each 0644
 * via a temp file and rename, so a reader never sees half a file and an
 * existing symlink is replaced, never written through. Any existing target that
 * is not a regular file (a symlink, a directory...) aborts before anything is
 * written. As root, the directory and files are given to the owner of the
 * nearest existing parent (the language dir), so they match Asterisk's tree.
 */
export function installSounds(targetDir: string, source: ReadonlyMap<string, Uint8Array>, opts: InstallOptions = {}): InstallResult {
  const files = [...source].filter(([name]) => SOUND_FILE.test(name)).sort(([a], [b]) => (a < b ? -1 : 1));
  if (files.length === 0) throw new Error('no voice prompts to install (run scripts/make-sounds.sh)');

  const dir = resolve(targetDir);
  const owner = isRoot() ? statSync(nearestExisting(dirname(dir))) : undefined;
  const chownTo = owner && (owner.uid !== 0 || owner.gid !== 0) ? { uid: owner.uid, gid: owner.gid } : undefined;
  const result: InstallResult = { written: [], skipped: [], warnings: [] };
  const warnChown = (path: string, err: unknown): void => {
    result.warnings.push(`could not chown ${path} to ${chownTo?.uid}:${chownTo?.gid} (${errorCode(err)}); Asterisk can still read it`);
  };

  // Check every target before touching anything, so a refusal leaves no half-install.
  const plan: { path: string; bytes: Uint8Array }[] = [];
  for (const [name, bytes] of files) {
    const path = join(dir, name);
    const existing = lstatOrUndefined(path);
    if (existing && !existing.isFile()) {
      throw new Error(`refusing to replace ${path}: it is ${existing.isSymbolicLink() ? 'a symlink' : 'not a regular file'}`);
    }
    if (existing && !opts.overwrite) result.skipped.push(path);
    else plan.push({ path, bytes });
  }

  const firstCreated = mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const created of createdDirs(firstCreated, dir)) chmodSync(created, 0o755); // umask may have narrowed it
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  if (chownTo) {
    for (const d of firstCreated ? createdDirs(firstCreated, dir) : [dir]) {
      try {
        chownSync(d, chownTo.uid, chownTo.gid);
      } catch (err) {
        warnChown(d, err);
      }
    }
  }

  for (const { path, bytes } of plan) {
    writeAtomically(path, bytes, chownTo, (err) => warnChown(path, err));
    result.written.push(path);
  }
  return result;
}

/**
 * Which prompts have a file in none of the formats in dir, and the files
 * there are of the others (symlinks to files count).
 */
export function soundsInstalled(dir: string): { missing: string[]; files: string[] } {
  const missing: string[] = [];
  const files: string[] = [];
  for (const name of PROMPT_NAMES) {
    const present = SOUND_FORMATS.map((ext) => join(dir, `${name}.${ext}`)).filter((f) => statOrUndefined(f)?.isFile());
    if (present.length === 0) missing.push(name);
    files.push(...present);
  }
  return { missing, files };
}

/** 0644 whatever the umask, and the owner given before the file has its name. */
function writeAtomically(
  path: string,
  bytes: Uint8Array,
  chownTo: { uid: number; gid: number } | undefined,
  onChownError: (err: unknown) => void,
): void {
  replaceAtomically(path, bytes, {
    permissions: 0o600,
    beforeNaming: (fd) => {
      fchmodSync(fd, 0o644);
      if (!chownTo) return;
      try {
        fchownSync(fd, chownTo.uid, chownTo.gid);
      } catch (err) {
        onChownError(err);
      }
    },
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function nearestExisting(path: string): string {
  let p = path;
  while (!statOrUndefined(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/** Directories from firstCreated (what mkdir -p made first) down to dir. */
function createdDirs(firstCreated: string | undefined, dir: string): string[] {
  if (!firstCreated) return [];
  const dirs = [firstCreated];
  let p = firstCreated;
  for (const part of relative(firstCreated, dir).split(sep).filter(Boolean)) {
    p = join(p, part);
    dirs.push(p);
  }
  return dirs;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);
}
