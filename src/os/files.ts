// Writing files that must survive a power cut whole: key files above all. A
// database that records a key's check value (synchronous=FULL) must never
// outlive the key file it names, so the key's bytes and its directory entry
// reach the disk before the caller goes on. Nothing half-written ever
// appears under the final name: the bytes go to a temporary file in the same
// directory first, which then takes the final name in one step.
import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** The calls this module makes, injectable so a test can watch their order and make them fail. */
export type FileSystem = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'linkSync' | 'renameSync' | 'unlinkSync'
>;

export interface WriteOptions {
  /** Permission bits of the new file (the umask still applies). Default 0600. */
  permissions?: number;
  /**
   * Runs on the finished temporary file's descriptor before it is synced and
   * named: what must already hold when a reader first sees the file (the
   * exact permissions despite the umask, its owner) is set here, not after.
   */
  beforeNaming?: (fd: number) => void;
  fs?: FileSystem;
}

/**
 * Creates `path` holding `data`; never replaces anything (an existing file or
 * link fails with EEXIST). link(2) gives the finished file its name only if
 * the name is free, in one step, where O_EXCL on the final name would show an
 * empty file until the write is done.
 */
export function createExclusive(path: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const fs = options.fs ?? nodeFs;
  const temp = writeTemp(fs, path, data, options);
  try {
    fs.linkSync(temp, path);
  } finally {
    fs.unlinkSync(temp);
  }
  syncDirectory(fs, dirname(path));
}

/** Replaces `path` with `data` by rename(2): a reader opens the old content or the new, never a mix. */
export function replaceAtomically(path: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const fs = options.fs ?? nodeFs;
  const temp = writeTemp(fs, path, data, options);
  try {
    fs.renameSync(temp, path);
  } catch (err) {
    fs.unlinkSync(temp);
    throw err;
  }
  syncDirectory(fs, dirname(path));
}

/** A new file next to `path` (same file system, so link and rename work), written and synced. */
function writeTemp(fs: FileSystem, path: string, data: string | Uint8Array, options: WriteOptions): string {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = nodeFs.constants;
  const fd = fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.permissions ?? 0o600);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    options.beforeNaming?.(fd);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.unlinkSync(temp);
    throw err;
  }
  fs.closeSync(fd);
  return temp;
}

/** A new name is durable only once its directory is synced. */
function syncDirectory(fs: FileSystem, dir: string): void {
  const fd = fs.openSync(dir, nodeFs.constants.O_RDONLY | nodeFs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes what is already written to `path`, a file or a directory's entries, durable. */
export function syncPath(path: string): void {
  const fd = nodeFs.openSync(path, 'r');
  try {
    nodeFs.fsyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
}
