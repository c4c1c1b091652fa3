// PINs are short, so the hash is scrypt over an HMAC with the key file's
// pepper: a stolen database alone does not allow a brute force.
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N_LOG2 = 14;
const R = 8;
const P = 1;
const LEN = 32;

function derive(pepper: Buffer, pin: string, salt: Buffer, nLog2: number, r: number, p: number): Promise<Buffer> {
  const peppered = createHmac('sha256', pepper).update(pin, 'utf8').digest();
  return new Promise((resolve, reject) =>
    scrypt(peppered, salt, LEN, { N: 2 ** nLog2, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPin(pepper: Buffer, pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(pepper, pin, salt, N_LOG2, R, P);
  return `scrypt$${N_LOG2}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Constant-time check. A malformed or missing hash still costs one scrypt
 * run, so a caller cannot tell a user without a PIN from a wrong PIN.
 */
export async function verifyPin(pepper: Buffer, pin: string, stored: string | null): Promise<boolean> {
  const m = stored ? /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored) : null;
  const parsed = m && Number(m[1]) <= 20 && Number(m[2]) <= 16 && Number(m[3]) <= 4 ? m : null;
  const salt = parsed ? Buffer.from(parsed[4]!, 'base64') : Buffer.alloc(16);
  const expected = parsed ? Buffer.from(parsed[5]!, 'base64') : Buffer.alloc(LEN);
  const key = parsed
    ? await derive(pepper, pin, salt, Number(parsed[1]), Number(parsed[2]), Number(parsed[3]))
    : await derive(pepper, pin, salt, N_LOG2, R, P);
  return parsed !== null && key.length === expected.length && timingSafeEqual(key, expected);
}
