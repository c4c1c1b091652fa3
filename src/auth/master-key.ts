// The key file: 32 random bytes from which the secret-encryption key, the PIN
// pepper and a key check are derived, so the database alone reveals nothing.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { createExclusive, replaceAtomically } from '../os/files.js';
import { KeyFileError } from './errors.js';
import { errorMessage } from '../text/error-message.js';

export { KeyFileError };

const HEADER = 'astotp-key-v1';

export interface MasterKey {
  /** AES-256-GCM key for TOTP secrets. */
  secretKey: Buffer;
  /** HMAC key mixed into PIN hashes. */
  pinPepper: Buffer;
  /** HMAC key of recovery codes (recovery-code-rules.ts). */
  recoveryPepper: Buffer;
  /** A value stored in the database so the wrong key file is recognised as such. */
  checkValue: string;
  /** HMAC key naming user IDs without revealing them: in logs (masked-id.ts) and pbotp throttle rows. */
  idMask: Buffer;
}

function derive(raw: Buffer): MasterKey {
  const sub = (info: string) => Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), info, 32));
  const check = sub('astotp key check v1');
  return {
    secretKey: sub('astotp totp secret encryption v1'),
    pinPepper: sub('astotp pin pepper v1'),
    recoveryPepper: sub('astotp recovery code v1'),
    idMask: sub('astotp log mask v1'),
    checkValue: createHmac('sha256', check).update('astotp').digest('base64').slice(0, 22),
  };
}

export function checkValuesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads the key file, refusing one that others can read or that is not a regular file. */
export function loadMasterKey(path: string): MasterKey {
  return derive(readRawKey(path));
}

/** The key a key file's 32 bytes are, e.g. those a backup carries (auth/site-backup.ts). */
export function masterKeyOf(raw: Buffer): MasterKey {
  if (raw.length !== RAW_BYTES) throw new KeyFileError(`a key is ${RAW_BYTES} bytes, not ${raw.length}`, 'unusable');
  return derive(raw);
}

const RAW_BYTES = 32;

function keyFileText(raw: Buffer): string {
  return `${HEADER} ${raw.toString('base64')}\n`;
}

/** The key file's 32 bytes, with loadMasterKey's checks: for a backup, which carries the key itself. */
export function readRawKey(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyFileError(`key file ${path} does not exist (astotp init or astotp enroll creates it)`, 'missing');
    if (code === 'ELOOP') throw new KeyFileError(`key file ${path} is a symbolic link; refusing it`, 'unusable');
    throw new KeyFileError(`cannot open key file ${path}: ${code}`, 'unusable', { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new KeyFileError(`key file ${path} is not a regular file`, 'unusable');
    if (st.mode & 0o077)
      throw new KeyFileError(
        `key file ${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
        'unusable',
      );
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = new RegExp(`^${HEADER} ([A-Za-z0-9+/]{43}=)\\s*$`).exec(buf.subarray(0, n).toString('utf8'));
    if (!m) throw new KeyFileError(`key file ${path} is not an astotp key file`, 'unusable');
    return Buffer.from(m[1]!, 'base64');
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a new key file (mode 0600, never overwriting); returns null if one
 * appeared meanwhile. It is on disk, whole, before the database can record
 * its check value: a power cut must not leave a database naming an empty key.
 */
export function createMasterKey(path: string, raw: Buffer = randomBytes(RAW_BYTES)): MasterKey | null {
  try {
    createExclusive(path, keyFileText(raw), { permissions: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return null;
    throw new KeyFileError(`cannot create key file ${path}: ${code ?? errorMessage(err)}`, 'unusable', { cause: err });
  }
  return derive(raw);
}

/**
 * Loads the key file, creating it first if there is none (CLI only: a call
 * never creates keys). `mayCreate` runs before a new key is made and throws
 * to refuse, e.g. when the database was made with a key that went missing.
 */
export async function loadOrCreateMasterKey(
  path: string,
  mayCreate: () => Promise<void> = async () => {},
): Promise<{ key: MasterKey; created: boolean }> {
  try {
    return { key: loadMasterKey(path), created: false };
  } catch (err) {
    if (!(err instanceof KeyFileError) || err.code !== 'missing') throw err;
  }
  await mayCreate();
  const created = createMasterKey(path);
  return created ? { key: created, created: true } : { key: loadMasterKey(path), created: false };
}

/** Replaces the key file with `raw` in one step (a restore with --force): a reader sees the old key or the new. */
export function replaceMasterKey(path: string, raw: Buffer): MasterKey {
  const key = masterKeyOf(raw);
  try {
    replaceAtomically(path, keyFileText(raw), { permissions: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeyFileError(`cannot write key file ${path}: ${code ?? errorMessage(err)}`, 'unusable', { cause: err });
  }
  return key;
}
