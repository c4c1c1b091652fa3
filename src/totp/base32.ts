// Base32 (RFC 4648, no padding), the form TOTP and HOTP secrets are stored
// and shown in: a leaf, so that the code check and the PSKC reader (which
// gets bytes from a vendor's file) share one.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Bytes(secret: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of secret.replace(/=+$/, '')) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new RangeError('not a base32 secret');
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function base32Text(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + ALPHABET[(value << (5 - bits)) & 31] : out;
}
