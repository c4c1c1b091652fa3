// Key files as a careful admin expects them: created 0600 and exclusively,
// never silently replaced, never in a directory where others could swap them,
// and a warning when an existing private key is readable by others (a
// refusal for the key a server holds: pbotp serve).
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createExclusive, replaceAtomically } from '../../../os/files.js';
import { parsePrivateKey, parsePublicKey } from '../../../pbotp/keys.js';

const MAX_KEY_FILE = 4096;

function readSmall(path: string, what: string, follow = true): { text: string; permissions: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (follow ? 0 : constants.O_NOFOLLOW));
  } catch (err) {
    if (!follow && (err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Error(`refusing ${what} ${path}: it is a symbolic link; name the file itself`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${what} ${path} is not a regular file`);
    if (st.size > MAX_KEY_FILE) throw new Error(`${what} ${path} is too large to be a key file`);
    return { text: readFileSync(fd, 'utf8'), permissions: st.mode & 0o777 };
  } finally {
    closeSync(fd);
  }
}

const looseness = (path: string, permissions: number) =>
  `private key file ${path} is accessible by group or others (mode ${permissions.toString(8).padStart(4, '0')}); run chmod 600 ${path}`;

/** Reads a private key file for one answer (pbotp respond); `warn` hears about loose permissions. */
export function readPrivateKeyFile(path: string, warn: (message: string) => void): Uint8Array {
  const { text, permissions } = readSmall(path, 'private key file');
  if ((permissions & 0o077) !== 0) warn(`warning: ${looseness(path, permissions)}`);
  return parsePrivateKey(text);
}

/**
 * Reads the private key a server holds while it runs (pbotp serve, with or
 * without a login): refused when group or others may read the file, or
 * when it is a symbolic link (not followed), as doctor --authority-key
 * fails both, since whoever can read it or swap the link mints every
 * device's logins.
 */
export function readServedPrivateKeyFile(path: string): Uint8Array {
  const { text, permissions } = readSmall(path, 'private key file', false);
  if ((permissions & 0o077) !== 0) throw new Error(`refusing to serve: ${looseness(path, permissions)}`);
  return parsePrivateKey(text);
}

export function readPublicKeyFile(path: string): Uint8Array {
  return parsePublicKey(readSmall(path, 'public key file').text);
}

function checkDirectory(dir: string): void {
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  // Others could replace the file after we write it; a sticky bit prevents that.
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw new Error(`refusing to write a key into ${dir}: it is writable by everyone and has no sticky bit`);
  }
}

/**
 * Writes a new key file with mode 0600. Without `force` an existing file is an
 * error; with it, the old file is replaced atomically by a rename.
 */
export function writeKeyFile(path: string, text: string, force: boolean): void {
  const target = resolve(path);
  checkDirectory(dirname(target));
  if (!force) {
    try {
      createExclusive(target, text, { permissions: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${path} already exists; use --force to replace it`);
      throw err;
    }
    return;
  }
  replaceAtomically(target, text, { permissions: 0o600 });
}
