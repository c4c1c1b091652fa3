// PINs are short, so the hash is scrypt over an HMAC with the key file's
// pepper: a stolen database alone does not allow a brute force. The HMAC
// also covers the user ID, as the secret box does, so whoever can write the
// database cannot give one user another's PIN hash (or copy their own over a
// victim's). Hashes written before that binding (scrypt$...) still verify,
// and a login with one rewrites it bound (verifier.ts).
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N_LOG2 = 14;
const R = 8;
const P = 1;
const LEN = 32;
/** scrypt-id: bound to the user ID; scrypt: the PIN alone. */
const BOUND = 'scrypt-id';
const HASH = /^(scrypt|scrypt-id)\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function peppered(pepper: Buffer, user: string | null, pin: string): Buffer {
  const mac = createHmac('sha256', pepper);
  // Length-prefixed so no (user, pin) pair can be made to collide with another.
  if (user !== null) mac.update(`astotp-pin-v2\0${Buffer.byteLength(user)}\0${user}\0`, 'utf8');
  return mac.update(pin, 'utf8').digest();
}

function derive(input: Buffer, salt: Buffer, nLog2: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(input, salt, LEN, { N: 2 ** nLog2, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPin(pepper: Buffer, user: string, pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(peppered(pepper, user, pin), salt, N_LOG2, R, P);
  return `${BOUND}$${N_LOG2}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash written before PIN hashes named their user: verifies, and should be rewritten. */
export function isUnboundPinHash(stored: string | null): boolean {
  return stored?.startsWith('scrypt$') === true;
}

/**
 * Constant-time check. A malformed or missing hash still costs one scrypt
 * run, so a caller cannot tell a user without a PIN from a wrong PIN.
 */
export async function verifyPin(pepper: Buffer, user: string, pin: string, stored: string | null): Promise<boolean> {
  const m = stored ? HASH.exec(stored) : null;
  const parsed = m && Number(m[2]) <= 20 && Number(m[3]) <= 16 && Number(m[4]) <= 4 ? m : null;
  const salt = parsed ? Buffer.from(parsed[5]!, 'base64') : Buffer.alloc(16);
  const expected = parsed ? Buffer.from(parsed[6]!, 'base64') : Buffer.alloc(LEN);
  const input = peppered(pepper, parsed?.[1] === 'scrypt' ? null : user, pin);
  const key = parsed
    ? await derive(input, salt, Number(parsed[2]), Number(parsed[3]), Number(parsed[4]))
    : await derive(input, salt, N_LOG2, R, P);
  return parsed !== null && key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * The hash of each PIN, null where there is none; in the order given. All at
 * once, which puts them in libuv's thread pool (os/thread-pool.ts widens it):
 * an import hashes before its one write transaction, so calls never wait
 * behind the scrypt work.
 */
export function hashPins(pepper: Buffer, users: readonly { id: string; pin: string | null }[]): Promise<(string | null)[]> {
  return Promise.all(users.map((u) => (u.pin === null ? null : hashPin(pepper, u.id, u.pin))));
}
