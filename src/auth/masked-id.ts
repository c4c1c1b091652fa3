// What a caller types at the ID prompt may be a PIN or a code typed out of
// turn, so an ID that belongs to nobody is never logged as typed: only its
// length and a short keyed hash, enough for the admin to match repeated tries
// of the same ID (astotp log --user masks its query the same way).
import { createHmac } from 'node:crypto';

/** `unknown:4d:1f2e3a4b`: the length and the first 32 bits of HMAC-SHA256 under the key file's mask key. */
export function maskedId(idMask: Buffer, typed: string): string {
  return `unknown:${typed.length}d:${createHmac('sha256', idMask).update(typed).digest('hex').slice(0, 8)}`;
}
