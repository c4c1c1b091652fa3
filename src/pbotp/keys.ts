// X25519 on node:crypto. OpenSSL applies RFC 7748 semantics: the scalar is
// clamped and the top bit of a u-coordinate is ignored, which is what pbotp v2
// means by X25519(). Raw 32-byte values are wrapped in fixed DER prefixes
// because node:crypto only takes keys as KeyObjects.
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { PbotpInputError } from './errors.js';

export const KEY_BYTES = 32;

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const BASE_POINT = new Uint8Array(KEY_BYTES);
BASE_POINT[0] = 9;

function checkLength(bytes: Uint8Array, what: string): void {
  if (bytes.length !== KEY_BYTES) throw new PbotpInputError(`${what} must be ${KEY_BYTES} bytes, got ${bytes.length}`);
}

/**
 * X25519(scalar, point) as in RFC 7748. Throws PbotpInputError when the point
 * has small order (the shared secret would be all zeros and predictable).
 */
export function x25519(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  checkLength(scalar, 'X25519 scalar');
  checkLength(point, 'X25519 point');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, scalar]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_X25519, point]), format: 'der', type: 'spki' });
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL refuses exactly the all-zero result, i.e. a small-order point.
    throw new PbotpInputError('the point is not usable for X25519 (small order)');
  }
  return new Uint8Array(shared);
}

/** X25519(scalar, 9). */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  return x25519(scalar, BASE_POINT);
}

export function generatePrivateKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return x25519Base(privateKey);
}

/** The 43-character unpadded base64url form used in files, URLs and on pages. */
export function formatKey(key: Uint8Array): string {
  checkLength(key, 'key');
  return encodeBase64url(key);
}

/** Parses a private key as written by formatKey; surrounding whitespace is ignored. */
export function parsePrivateKey(text: string): Uint8Array {
  return decodeBase64url(text.trim(), KEY_BYTES, 'private key');
}

/** Parses a public key and checks that challenges can be made against it. */
export function parsePublicKey(text: string): Uint8Array {
  const key = decodeBase64url(text.trim(), KEY_BYTES, 'public key');
  try {
    // Any scalar will do: only small-order points fail.
    x25519(BASE_POINT, key);
  } catch {
    throw new PbotpInputError('public key is not usable (small-order point)');
  }
  return key;
}
