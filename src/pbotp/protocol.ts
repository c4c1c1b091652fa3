// pbotp protocol v2: the device makes a challenge from a fresh nonce and the
// authority's public key; only the holder of the private key can compute the
// same response for that challenge and login.
import { blake2s } from '@noble/hashes/blake2.js';
import { KEY_BYTES, x25519, x25519Base } from './keys.js';
import { randomBytes } from 'node:crypto';

const PROTOCOL_LABEL = 'de.n621.pbotp.v2';
const RESPONSE_BYTES = 32;

const LABEL = new Uint8Array(Buffer.from(`${PROTOCOL_LABEL}\0`, 'latin1'));

export interface Challenge {
  /** X25519(nonce, 9): sent to the authority. */
  challenge: Uint8Array;
  /** X25519(nonce, server_pub): the key of the response; never leaves the device. */
  dh: Uint8Array;
}

/** Deterministic half of newChallenge, for test vectors. */
export function challengeFromNonce(nonce: Uint8Array, serverPub: Uint8Array): Challenge {
  return { challenge: x25519Base(nonce), dh: x25519(nonce, serverPub) };
}

/** A challenge from a fresh random nonce; call once per login attempt. */
export function newChallenge(serverPub: Uint8Array): Challenge {
  return challengeFromNonce(new Uint8Array(randomBytes(KEY_BYTES)), serverPub);
}

/** response = BLAKE2s(key = dh, 32 bytes, "de.n621.pbotp.v2" NUL login_data). */
export function computeResponse(dh: Uint8Array, loginData: Uint8Array): Uint8Array {
  const message = new Uint8Array(LABEL.length + loginData.length);
  message.set(LABEL, 0);
  message.set(loginData, LABEL.length);
  return blake2s(message, { key: dh, dkLen: RESPONSE_BYTES });
}

/** The authority's side: dh = X25519(priv, challenge). */
export function respond(privateKey: Uint8Array, challenge: Uint8Array, loginData: Uint8Array): Uint8Array {
  return computeResponse(x25519(privateKey, challenge), loginData);
}
