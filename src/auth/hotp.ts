// RFC 4226 HOTP on node:crypto: the code of one counter value, and the
// search for a code among consecutive counter values (an HOTP fob's
// look-ahead, a resynchronisation; a TOTP fob's time steps are counter
// values too). The key comes decoded: a search decodes it once, not once per value.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Algorithm } from '../totp/algorithm.js';

export interface HotpKey {
  key: Buffer;
  algorithm: Algorithm;
  digits: number;
}

/** The code of counter value `counter` (RFC 4226 section 5.3). */
export function hotp(k: HotpKey, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(k.algorithm.toLowerCase(), k.key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** k.digits).padStart(k.digits, '0');
}

/** The first counter value of from .. from + count - 1 whose code is `code`; null when none is. */
export function findCounter(k: HotpKey, code: string, from: number, count: number): number | null {
  if (code.length !== k.digits || !/^\d+$/.test(code)) return null;
  const typed = Buffer.from(code);
  for (let c = Math.max(0, from); c < from + count; c++) if (timingSafeEqual(Buffer.from(hotp(k, c)), typed)) return c;
  return null;
}
