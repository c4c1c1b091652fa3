// Invitation links: what makes one, what is stored of it, and when it ends.
// The token is 256 random bits in the link and only its SHA-256 in the
// database, so neither a copied database nor the audit log opens an
// invitation; a lookup by the hash is as good as a constant-time compare,
// since nobody can choose a token with a given hash. An activation code,
// given by another channel (a phone call), is an HMAC under the key file,
// bound to its invitation. Tokens and codes never reach a log or a message.
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { InvitationRow, InvitationState } from '../store/tables.js';

const TOKEN_BYTES = 32;
/** base64url of TOKEN_BYTES: what a token looks like in a link. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const ACTIVATION_DIGITS = 8;
/** Wrong activation codes after which the invitation is void: 3 guesses in 10^8. */
export const MAX_WRONG_ACTIVATION_CODES = 3;

/** What an invitation is now, the clock deciding on a pending one's expiry. */
export type InvitationStatus = 'expired' | InvitationState;

export function newInvitationToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Whether `text` can be a token at all: anything else is refused without a lookup. */
export function isTokenShape(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(`astotp-invitation-v1\0${token}`, 'utf8').digest('hex');
}

/** 8 digits from the CSPRNG, shown as 1234 5678. */
export function newActivationCode(): string {
  return Array.from({ length: ACTIVATION_DIGITS }, () => randomInt(10)).join('');
}

export function groupedActivationCode(code: string): string {
  return `${code.slice(0, 4)} ${code.slice(4)}`;
}

export function activationHash(pepper: Buffer, tokenHashHex: string, code: string): string {
  return createHmac('sha256', pepper).update(`astotp-activation-v1\0${tokenHashHex}\0${code}`, 'utf8').digest('base64');
}

/** Whether `typed` (spaces and dashes ignored) is the invitation's activation code. */
export function activationMatches(pepper: Buffer, inv: InvitationRow, typed: string): boolean {
  if (inv.activation_hash === null) return true;
  const code = typed.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(code) || code.length !== ACTIVATION_DIGITS) return false;
  const a = Buffer.from(activationHash(pepper, inv.token_hash, code));
  const b = Buffer.from(inv.activation_hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function invitationStatus(inv: Pick<InvitationRow, 'state' | 'expires_at'>, now: number): InvitationStatus {
  if (inv.state !== 'pending') return inv.state;
  return now >= inv.expires_at ? 'expired' : 'pending';
}
