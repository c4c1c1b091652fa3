// The sealed envelope of a site backup (site-backup.ts fills it): a header
// saying what it is and how its key is derived, then the content encrypted
// with AES-256-GCM under a key scrypt derives from the passphrase. The whole
// header is the cipher's additional data, so nothing of the file can be
// changed, cut or swapped without the tag failing, and the tag is checked
// before a byte of the content is looked at.
//
//   magic        8 bytes  "ASTOTPBK"
//   version      1 byte   FORMAT_VERSION
//   kdf          1 byte   1 = scrypt
//   log2 N       1 byte   scrypt's cost (N = 2^17 when written here)
//   r, p         1 byte each
//   salt        16 bytes  random
//   check       16 bytes  the second part of scrypt's output: tells a wrong passphrase from an altered file
//   nonce       12 bytes  random
//   length       8 bytes  of the ciphertext, big-endian: tells a truncated file from an altered one
//   ciphertext   length bytes
//   tag         16 bytes
import { createCipheriv, createDecipheriv, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { AuthError } from './errors.js';

const FORMAT_VERSION = 1;
const MAGIC = Buffer.from('ASTOTPBK');
const KDF_SCRYPT = 1;

/** scrypt's parameters for new backups: 128 MiB and about half a second of one core per guess. */
export const SCRYPT = { log2N: 17, r: 8, p: 1 } as const;
/**
 * What a file's header may ask for: twice the memory astotp writes with
 * (room to raise the default one day) and p at most 4, so that a crafted
 * header can neither exhaust a small PBX's memory nor hold it for long.
 */
export const MAX_SCRYPT = { memory: 256 * 1024 * 1024, p: 4 } as const;

/** A passphrase shorter than this is refused for a new backup: it protects the key file itself. */
export const MIN_PASSPHRASE_CHARS = 12;

const SALT = 16;
const CHECK = 16;
const NONCE = 12;
const TAG = 16;
const HEADER = MAGIC.length + 5 + SALT + CHECK + NONCE + 8;

/**
 * - not-a-backup: the file does not start as a backup;
 * - newer-format: a newer astotp wrote it;
 * - truncated: the file is shorter than its header says;
 * - wrong-passphrase: the passphrase does not give the header's check;
 * - altered: the passphrase is right but the content does not authenticate;
 * - weak-passphrase: too short for a new backup, or one character repeated.
 */
type BackupFileProblem = 'not-a-backup' | 'newer-format' | 'truncated' | 'wrong-passphrase' | 'altered' | 'weak-passphrase';

class BackupFileError extends AuthError {
  declare readonly code: BackupFileProblem;

  constructor(message: string, code: BackupFileProblem) {
    super(message, code);
    this.name = 'BackupFileError';
  }
}

interface Header {
  version: number;
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  check: Buffer;
  nonce: Buffer;
  length: number;
}

const scryptAsync = promisify(scrypt) as (pass: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

async function derive(passphrase: string, h: Pick<Header, 'log2N' | 'r' | 'p' | 'salt'>): Promise<{ key: Buffer; check: Buffer }> {
  const N = 2 ** h.log2N;
  // OpenSSL counts 128·r·(N + p + 2) bytes; twice that leaves it room to count more.
  const out = await scryptAsync(passphrase.normalize('NFC'), h.salt, 32 + CHECK, {
    N,
    r: h.r,
    p: h.p,
    maxmem: 2 * 128 * h.r * (N + h.p + 2),
  });
  return { key: out.subarray(0, 32), check: out.subarray(32) };
}

/** Refuses a passphrase too weak to stand in for the key file (short, or one character repeated); the message never repeats it. */
export function checkNewPassphrase(passphrase: string): void {
  const chars = [...passphrase];
  if (chars.length < MIN_PASSPHRASE_CHARS)
    throw new BackupFileError(`a backup's passphrase must be at least ${MIN_PASSPHRASE_CHARS} characters`, 'weak-passphrase');
  if (chars.every((c) => c === chars[0]))
    throw new BackupFileError("a backup's passphrase must not be one character repeated", 'weak-passphrase');
}

/** The file of `content` sealed with `passphrase`. */
export async function sealBackup(content: Buffer, passphrase: string): Promise<Buffer> {
  checkNewPassphrase(passphrase);
  const salt = randomBytes(SALT);
  const nonce = randomBytes(NONCE);
  const { key, check } = await derive(passphrase, { ...SCRYPT, salt });
  const header = Buffer.alloc(HEADER);
  let at = MAGIC.copy(header, 0);
  at = header.writeUInt8(FORMAT_VERSION, at);
  at = header.writeUInt8(KDF_SCRYPT, at);
  at = header.writeUInt8(SCRYPT.log2N, at);
  at = header.writeUInt8(SCRYPT.r, at);
  at = header.writeUInt8(SCRYPT.p, at);
  at += salt.copy(header, at);
  at += check.copy(header, at);
  at += nonce.copy(header, at);
  header.writeBigUInt64BE(BigInt(content.length), at);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(content), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/**
 * What the header says, checked before any passphrase is asked for: a file
 * that is no backup, a newer format or a truncated file is refused here.
 */
export function readBackupHeader(file: Buffer, name: string): Header {
  if (file.length < MAGIC.length || !file.subarray(0, MAGIC.length).equals(MAGIC))
    throw new BackupFileError(`${name} is not an astotp backup`, 'not-a-backup');
  if (file.length < MAGIC.length + 1) throw truncated(name);
  const version = file.readUInt8(MAGIC.length);
  if (version > FORMAT_VERSION)
    throw new BackupFileError(
      `${name} is a backup of format ${version}, made by a newer astotp (this one reads format ${FORMAT_VERSION}); restore it with that astotp or a newer one`,
      'newer-format',
    );
  if (file.length < HEADER + TAG) throw truncated(name);
  let at = MAGIC.length + 1;
  const kdf = file.readUInt8(at++);
  const log2N = file.readUInt8(at++);
  const r = file.readUInt8(at++);
  const p = file.readUInt8(at++);
  const sane = kdf === KDF_SCRYPT && version >= 1 && log2N >= 10 && r >= 1 && p >= 1 && p <= MAX_SCRYPT.p;
  if (!sane || 128 * 2 ** log2N * r > MAX_SCRYPT.memory) throw unreadableHeader(name);
  const take = (n: number) => file.subarray(at, (at += n));
  const salt = take(SALT);
  const check = take(CHECK);
  const nonce = take(NONCE);
  const length = Number(file.readBigUInt64BE(at));
  if (file.length < HEADER + length + TAG) throw truncated(name);
  if (file.length > HEADER + length + TAG)
    throw new BackupFileError(`${name} is longer than its header says (altered?); nothing was written`, 'altered');
  return { version, log2N, r, p, salt, check, nonce, length };
}

/** The content, once the whole file authenticated under `passphrase`. */
export async function openBackup(file: Buffer, passphrase: string, name: string): Promise<Buffer> {
  const h = readBackupHeader(file, name);
  let derived: { key: Buffer; check: Buffer };
  try {
    derived = await derive(passphrase, h);
  } catch {
    // Parameters within the caps that scrypt still refuses (N too large for r = 1): the header was made by no astotp.
    throw unreadableHeader(name);
  }
  const { key, check } = derived;
  if (!timingSafeEqual(check, h.check))
    throw new BackupFileError(`the passphrase does not open ${name} (or its header was altered); nothing was written`, 'wrong-passphrase');
  const decipher = createDecipheriv('aes-256-gcm', key, h.nonce);
  decipher.setAAD(file.subarray(0, HEADER));
  decipher.setAuthTag(file.subarray(HEADER + h.length));
  const body = decipher.update(file.subarray(HEADER, HEADER + h.length));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch {
    throw new BackupFileError(
      `${name} was altered or damaged since it was made (it does not authenticate); nothing was written`,
      'altered',
    );
  }
}

function unreadableHeader(name: string): BackupFileError {
  return new BackupFileError(`${name} has a header this astotp cannot read (altered?); nothing was written`, 'altered');
}

function truncated(name: string): BackupFileError {
  return new BackupFileError(`${name} is truncated (shorter than its header says); nothing was written`, 'truncated');
}
