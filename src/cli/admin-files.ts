// Files the admin names on the command line (an import's input, an export's
// output) are read and written as the user who ran astotp: root's CLI acts
// as the database owner (open.ts), who must not be the one to decide what
// root may read, nor own what root writes. A file that may hold secrets is
// created with mode 0600, and replaced only when the admin asks (backup --force).
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createExclusive, replaceAtomically } from '../os/files.js';
import { asInvokingUser } from '../os/identity.js';
import { CliFailure } from './errors.js';
import { errorMessage } from '../text/error-message.js';

/** The whole file as text; refused when larger than `limit` bytes. */
export function readAdminFile(path: string, limit: number): string {
  return readAdminBytes(path, limit).toString('utf8');
}

/** The whole file as bytes (a backup); refused when larger than `limit` bytes. */
export function readAdminBytes(path: string, limit: number): Buffer {
  return asInvokingUser(() => {
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new CliFailure(`${path} is not a regular file`);
      if (st.size > limit) throw new CliFailure(`${path} is larger than ${limit} bytes`);
      return readFileSync(path);
    } catch (err) {
      throw fileError('cannot read', path, err);
    }
  });
}

/**
 * A file holding a secret (a passphrase): refused when group or others may
 * read or write it, or when it belongs to someone but the invoking user or
 * root, who could read or rewrite it. A pipe is taken too (bash's
 * <(command), /dev/stdin): a secret manager's output never touches the disk
 * that way; a named pipe is held to the same rules as a file, since whoever
 * may write to it first chooses the secret. The checks are made on the
 * opened descriptor, so the file read is the file checked.
 */
export function readPrivateAdminFile(path: string, limit: number): string {
  return asInvokingUser(() => {
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDONLY);
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isFIFO()) throw new CliFailure(`${path} is not a regular file or a pipe`);
      if (st.mode & 0o077)
        throw new CliFailure(
          `${path} is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
        );
      const me = process.geteuid?.() ?? 0;
      if (st.uid !== me && st.uid !== 0)
        throw new CliFailure(`${path} belongs to uid ${st.uid}, who can read and change it; use a file of your own (uid ${me})`);
      return readBounded(fd, path, limit);
    } catch (err) {
      throw fileError('cannot read', path, err);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  });
}

/** Up to `limit` bytes from fd, read to its end (a pipe's writer may give them in pieces). */
function readBounded(fd: number, path: string, limit: number): string {
  const buf = Buffer.alloc(limit + 1);
  let got = 0;
  while (got <= limit) {
    const n = readSync(fd, buf, got, limit + 1 - got, null);
    if (n === 0) break;
    got += n;
  }
  if (got > limit) throw new CliFailure(`${path} is larger than ${limit} bytes`);
  return buf.subarray(0, got).toString('utf8');
}

/**
 * The absolute path `path` names, once it is clear a file can be created
 * there: its directory exists and is one, and (unless `replace`) the name is
 * free. Checked before the work that makes the file, so that a command that
 * records what it writes (a backup) records nothing that is not written for
 * these cheap reasons; writeAdminFile still refuses a name taken meanwhile.
 */
export function checkAdminDestination(path: string, replace: boolean): string {
  const absolute = resolve(path);
  return asInvokingUser(() => {
    const dir = dirname(absolute);
    try {
      if (!statSync(dir).isDirectory()) throw new CliFailure(`cannot create ${path}: ${dir} is not a directory`);
    } catch (err) {
      throw fileError('cannot create', path, err);
    }
    const st = statSync(absolute, { throwIfNoEntry: false });
    if (st !== undefined && !replace) throw new CliFailure(`cannot create ${path}: it exists already (nothing is overwritten)`);
    if (st?.isDirectory()) throw new CliFailure(`cannot create ${path}: it is a directory`);
    return absolute;
  });
}

/**
 * Creates `path` holding data, mode 0600; an existing file is left alone and
 * is an error, unless `replace` (then it is replaced in one step).
 */
export function writeAdminFile(path: string, data: string | Uint8Array, replace = false): void {
  asInvokingUser(() => {
    try {
      if (replace) replaceAtomically(path, data, { permissions: 0o600 });
      else createExclusive(path, data, { permissions: 0o600 });
    } catch (err) {
      throw fileError('cannot create', path, err);
    }
  });
}

function fileError(what: string, path: string, err: unknown): Error {
  if (err instanceof CliFailure) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST'
      ? 'it exists already (nothing is overwritten)'
      : code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EACCES'
          ? `permission denied for uid ${process.getuid?.()}`
          : errorMessage(err);
  return new CliFailure(`${what} ${path}: ${why}`);
}
