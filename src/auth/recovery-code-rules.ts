// Recovery codes: single-use codes on paper for a caller whose phone is gone,
// typed at the code prompt after a * (RECOVERY_PREFIX). 8 random digits
// (about 26.6 bits) are stored as an HMAC keyed by the key file and bound to
// the user ID: the database alone reveals nothing, and one user's row copied
// over another's opens nothing. The HMAC is fast on purpose: whoever also has
// the key file can decrypt every TOTP secret anyway, so a slow hash would
// only cost the call time and protect nothing more; guessing on the phone is
// bounded by the lockout, one code per attempt.
import { createHmac, randomInt } from 'node:crypto';
import type { RecoveryCodeRow, StoreTx } from '../store/tables.js';

/** What the caller types before a recovery code at the code prompt. */
export const RECOVERY_PREFIX = '*';
export const RECOVERY_DIGITS = 8;
export const DEFAULT_RECOVERY_CODES = 5;
/** More would only be more to guess; a set is renewed, not grown. */
export const MAX_RECOVERY_CODES = 20;

/** The recovery code in what was typed at the code prompt; null when it is a TOTP code. */
export function recoveryCodeOf(typed: string): string | null {
  return typed.startsWith(RECOVERY_PREFIX) ? typed.slice(RECOVERY_PREFIX.length) : null;
}

export function recoveryHash(pepper: Buffer, user: string, code: string): string {
  // Length-prefixed, as PIN hashes are, so no (user, code) pair collides with another.
  return createHmac('sha256', pepper)
    .update(`astotp-recovery-v1\0${Buffer.byteLength(user)}\0${user}\0${code}`, 'utf8')
    .digest('base64');
}

/** `count` distinct codes, each digit from the CSPRNG. */
export function newRecoveryCodes(count: number): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(Array.from({ length: RECOVERY_DIGITS }, () => randomInt(10)).join(''));
  return [...codes];
}

/** Makes `codes` the user's set, inside the caller's transaction: every older code stops working. */
export async function storeRecoveryCodes(t: StoreTx, pepper: Buffer, user: string, codes: readonly string[], at: number): Promise<void> {
  await t.recoveryCodes.replace(
    user,
    codes.map((c) => recoveryHash(pepper, user, c)),
    at,
  );
}

/** `codes` as the new rows of a user that has none yet (a user just inserted), for a batch write. */
export function recoveryCodeRows(pepper: Buffer, user: string, codes: readonly string[], at: number): RecoveryCodeRow[] {
  return codes.map((c) => ({ user_id: user, hash: recoveryHash(pepper, user, c), used_at: null, created_at: at }));
}

/** The user's unused codes. */
export async function recoveryCodesLeft(t: StoreTx, user: string): Promise<number> {
  return (await t.recoveryCodes.left([user])).get(user) ?? 0;
}
