// The FastAGI secret: what tells Asterisk's connections from anyone else's.
// A local user connects from Asterisk's own address, so the address alone
// proves nothing; the dialplan holds a secret that only the Asterisk user can
// read and puts it in the request's path, agi://HOST/otp/SECRET, and only a
// connection that brings it becomes a call. It grants no login: it only
// decides who may take one of the server's call slots.
//
// The file is in Asterisk's own syntax, one NAME=VALUE line, so that the
// dialplan takes it by #include in the [globals] section of extensions.conf.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chownSync, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createExclusive } from '../os/files.js';

/** The global variable the dialplan reads the secret from. */
export const SECRET_VARIABLE = 'ASTOTP_FASTAGI_SECRET';
/** The dialplan's reference to it; GLOBAL() so that no channel variable of the same name can stand in. */
export const SECRET_REFERENCE = `\${GLOBAL(${SECRET_VARIABLE})}`;

/** 128 bits at least, in characters a URL path and the dialplan take as they are. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{22,128}$/;
const MAX_FILE_BYTES = 4096;

export class PbxSecretError extends Error {
  override name = 'PbxSecretError';
}

export interface PbxSecret {
  /** True when `candidate` is the secret; in constant time, so the answer's timing tells nothing. */
  admits(candidate: string | null): boolean;
}

/** Reads the secret from `file`; refuses a file others may read, since then it keeps no one out. */
export function readPbxSecret(file: string): PbxSecret {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist (astotp serve-agi --secret-file FILE --print-dialplan creates it)' : `cannot be read (${code})`;
    throw new PbxSecretError(`secret file ${file} ${why}`);
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PbxSecretError(`secret file ${file} is not a regular file`);
    if (st.mode & 0o007)
      throw new PbxSecretError(
        `secret file ${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: others may read or change it; chmod o-rwx it`,
      );
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_FILE_BYTES) throw new PbxSecretError(`secret file ${file} is larger than ${MAX_FILE_BYTES} bytes`);
    text = buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
  const value = secretIn(text);
  if (value === null)
    throw new PbxSecretError(
      `secret file ${file} holds no line ${SECRET_VARIABLE}=VALUE with 22 to 128 letters, digits, - or _ (astotp serve-agi --print-dialplan makes one)`,
    );
  const digest = sha256(value);
  return { admits: (candidate) => candidate !== null && timingSafeEqual(sha256(candidate), digest) };
}

/**
 * Creates `file` with a new random secret, mode 0600, owned by `owner` when
 * run as root (the user Asterisk runs as, which reads it for the dialplan).
 */
export function createPbxSecret(file: string, owner: { uid: number; gid: number } | null): void {
  const secret = randomBytes(32).toString('base64url');
  const text = [
    '; The FastAGI secret of astotp serve-agi (--secret-file). #include this file in the',
    '; [globals] section of extensions.conf; only the user Asterisk runs as may read it.',
    `${SECRET_VARIABLE}=${secret}`,
    '',
  ].join('\n');
  createExclusive(file, text, { permissions: 0o600 });
  if (owner && process.geteuid?.() === 0) chownSync(file, owner.uid, owner.gid);
}

/** The user and group of `dir`'s owner, for a file that user must read. */
export function ownerOf(dir: string): { uid: number; gid: number } {
  const st = statSync(dir);
  return { uid: st.uid, gid: st.gid };
}

/** The value of the secret's line: NAME=VALUE or NAME => VALUE, as extensions.conf takes it; comments start with ;. */
function secretIn(text: string): string | null {
  let found: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    const m = /^([A-Za-z0-9_]+)\s*=>?\s*(.*)$/.exec(line);
    if (!m || m[1] !== SECRET_VARIABLE) continue;
    if (found !== null) return null;
    found = m[2] ?? '';
  }
  return found !== null && SECRET_SHAPE.test(found) ? found : null;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
