// Unpadded base64url (RFC 4648 section 5), decoded strictly: every 32-byte
// value has exactly one accepted spelling, so a challenge or key cannot be
// smuggled past a comparison or an allow list in a second form.
import { PbotpInputError } from './errors.js';

const ALPHABET = /^[A-Za-z0-9_-]*$/;

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Length in characters of the unpadded encoding of `bytes` bytes. */
function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/**
 * Decodes unpadded base64url. Rejects padding, characters outside the
 * alphabet, impossible lengths and non-zero trailing bits. With `bytes`,
 * the decoded length must match too; `what` names the value in errors.
 */
export function decodeBase64url(text: string, bytes?: number, what = 'value'): Uint8Array {
  if (!ALPHABET.test(text)) {
    throw new PbotpInputError(`${what} is not base64url: only A-Z a-z 0-9 - _ are allowed, without = padding`);
  }
  if (bytes !== undefined && text.length !== base64urlLength(bytes)) {
    throw new PbotpInputError(`${what} must be ${base64urlLength(bytes)} base64url characters (${bytes} bytes), got ${text.length}`);
  }
  if (text.length % 4 === 1) {
    throw new PbotpInputError(`${what} has an impossible base64url length (${text.length})`);
  }
  const decoded = Buffer.from(text, 'base64url');
  // Node ignores unused trailing bits; re-encoding shows whether they were zero.
  if (decoded.toString('base64url') !== text) {
    throw new PbotpInputError(`${what} is not canonical base64url (unused trailing bits are set)`);
  }
  return new Uint8Array(decoded);
}
