// RFC 6238 codes through otplib, with the parameters each user was enrolled with.
// Its packages are used one by one with Node's crypto for the HMAC: the
// otplib entry point defaults to @noble/hashes, whose SHA-2 tables take a
// classic call over a millisecond to set up, while node:crypto is loaded
// for the call anyway.
import { generateSecret } from '@otplib/core';
import { base32 } from '@otplib/plugin-base32-scure';
import { crypto } from '@otplib/plugin-crypto-node';
import { verifySync } from '@otplib/totp';
import { generateTOTP } from '@otplib/uri';
import type { Algorithm } from '../totp/algorithm.js';

export interface TotpParams {
  secret: string;
  algorithm: Algorithm;
  digits: number;
  period: number;
}

export function newSecret(): string {
  // 20 bytes, as RFC 4226 recommends for SHA1; longer keys add nothing a 6-digit code can show.
  return generateSecret({ crypto, base32, length: 20 });
}

/**
 * What a secret given to astotp must be. otplib refuses, at every code check,
 * a secret under 16 bytes (RFC 4226's minimum): 26 base32 characters are the
 * fewest that hold 16 bytes, so a shorter one is refused where it is given,
 * not by every call after.
 */
export const SECRET_RULE = 'base32 (letters A-Z and digits 2-7), 26 to 128 characters (at least 16 bytes)';

export function isBase32Secret(s: string): boolean {
  return /^[A-Z2-7]{26,128}$/.test(s);
}

/** A code as typed from an app's screen, which groups it ("239 204", "2392-0412"): the digits alone. */
export function normaliseCode(typed: string): string {
  return typed.replace(/[\s-]/g, '');
}

export function otpauthUri(p: TotpParams, issuer: string, user: string): string {
  return generateTOTP({
    issuer,
    label: user,
    secret: p.secret,
    algorithm: p.algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
    digits: p.digits,
    period: p.period,
  });
}

/**
 * A valid code has the time step it belongs to; a wrong one may have been
 * right once (replayed: its step is not newer than the last used), or be
 * right a few steps outside the window (offBy: steps from now, positive when
 * the code is from the future, i.e. the phone's clock is ahead).
 */
export type CodeCheck = { valid: true; timeStep: number } | { valid: false; replayed: boolean; offBy: number | null };

/**
 * How many steps beyond the window a wrong code is still looked up, only to
 * tell the admin that a clock is off: such a code is never accepted.
 */
const NEAR_MISS_STEPS = 4;

/**
 * Checks a typed code within ±window steps of now. Codes of the wrong length or
 * with non-digits are simply wrong (otplib would throw on them).
 */
export function checkCode(p: TotpParams, code: string, opts: { window: number; afterStep: number | null; now?: number }): CodeCheck {
  if (code.length !== p.digits || !/^\d+$/.test(code)) return { valid: false, replayed: false, offBy: null };
  const base = {
    secret: p.secret,
    token: code,
    algorithm: p.algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
    digits: p.digits,
    period: p.period,
    epoch: opts.now ?? Math.floor(Date.now() / 1000),
    epochTolerance: opts.window * p.period,
    crypto,
    base32,
  };
  const fresh = verifySync(opts.afterStep === null ? base : { ...base, afterTimeStep: opts.afterStep });
  if (fresh.valid && 'timeStep' in fresh) return { valid: true, timeStep: fresh.timeStep };
  if (opts.afterStep !== null && verifySync(base).valid) return { valid: false, replayed: true, offBy: null };
  const near = verifySync({ ...base, epochTolerance: (opts.window + NEAR_MISS_STEPS) * p.period });
  return { valid: false, replayed: false, offBy: near.valid ? near.delta : null };
}
