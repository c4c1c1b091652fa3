// Files the admin names on the command line (an import's input, an export's
// output) are read and written as the user who ran astotp: root's CLI acts
// as the database owner (open.ts), who must not be the one to decide what
// root may read, nor own what root writes. A file that may hold secrets is
// created, never replaced, with mode 0600.
import { readFileSync, statSync } from 'node:fs';
import { createExclusive } from '../os/files.js';
import { asInvokingUser } from '../os/identity.js';
import { CliFailure } from './errors.js';
import { errorMessage } from '../text/error-message.js';

/** The whole file as text; refused when larger than `limit` bytes. */
export function readAdminFile(path: string, limit: number): string {
  return asInvokingUser(() => {
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new CliFailure(`${path} is not a regular file`);
      if (st.size > limit) throw new CliFailure(`${path} is larger than ${limit} bytes`);
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw fileError('cannot read', path, err);
    }
  });
}

/** Creates `path` holding data, mode 0600; an existing file is left alone and is an error. */
export function writeAdminFile(path: string, data: string): void {
  asInvokingUser(() => {
    try {
      createExclusive(path, data, { permissions: 0o600 });
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
