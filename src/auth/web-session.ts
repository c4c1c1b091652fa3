// The value a web server's session cookie holds: 256 random bits, stored
// only as a hash (web_sessions.id_hash), so whoever reads the database, or a
// backup of it, holds no session; every web server on the database finds it.
import { createHash, randomBytes } from 'node:crypto';

const VALUE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newSessionValue(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored key of a cookie's value; undefined for a value no server made. */
export function sessionHash(value: string): string | undefined {
  if (!VALUE_SHAPE.test(value)) return undefined;
  return createHash('sha256').update(`astotp-web-session-v1\0${value}`, 'utf8').digest('hex');
}

/** What a secret sealed in a session's row is bound to: that session, never a user's row. */
export function sessionBinding(hash: string): string {
  return `web-session:${hash}`;
}
