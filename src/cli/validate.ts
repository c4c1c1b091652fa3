// What the CLI accepts as a user ID, a PIN, a code and a secret.
import { isBase32Secret } from '../auth/totp.js';
import { CALLER_ID_MAX_DIGITS } from '../call/caller-user.js';
import { applyProfile, type Settings } from '../config/settings.js';
import { CliFailure, UsageError } from './errors.js';

const USER_ID = /^[0-9A-Za-z+_.@-]{1,64}$/;
export const PIN_MIN_DIGITS = 4;

export function checkUserId(id: string): string {
  if (!USER_ID.test(id)) throw new UsageError(`user ID "${id.slice(0, 70)}" is not valid: use 1 to 64 letters, digits and + _ . @ -`);
  return id;
}

/**
 * Why no call could ever reach this ID on its own, or null. A keypad types
 * digits only, the ID prompt stops at id_max_digits ([general] or a profile
 * that asks), and a profile with user = callerid reads up to 15 digits; any
 * other ID is reached only by a profile that names it.
 */
export function untypable(id: string, s: Settings): string | null {
  const asking = [s, ...[...s.profiles.values()].map((p) => applyProfile(s, p))];
  const prompt = Math.max(...asking.filter((c) => c.user.from === 'prompt').map((c) => c.idMaxDigits));
  const callerId = asking.some((c) => c.user.from === 'callerid');
  const longest = Math.max(prompt, callerId ? CALLER_ID_MAX_DIGITS : 0);
  if (!/^\d+$/.test(id)) return `user ID ${id} is not all digits, so no caller can type it on a keypad`;
  if (id.length <= longest) return null;
  const limits = `id_max_digits = ${prompt} in astotp.conf${callerId ? `, ${CALLER_ID_MAX_DIGITS} for a caller ID` : ''}`;
  return `user ID ${id} has ${id.length} digits, more than a call takes (${limits}), so no caller can type it`;
}

/** The PIN's rules; the message never repeats what was typed. */
export function checkPin(pin: string, maxDigits: number): string {
  if (!/^\d+$/.test(pin) || pin.length < PIN_MIN_DIGITS || pin.length > maxDigits) {
    throw new CliFailure(`a PIN must be ${PIN_MIN_DIGITS} to ${maxDigits} digits`);
  }
  return pin;
}

/** Accepts the forms apps and sites show a secret in: lower case, spaced, padded. */
export function normaliseSecret(input: string): string {
  const secret = input.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (!isBase32Secret(secret)) throw new UsageError('--secret must be base32 (letters A-Z and digits 2-7), at least 16 characters');
  return secret;
}

/** A code as typed from an app's screen, which groups it ("239 204", "2392-0412"): the digits alone. */
export function normaliseCode(typed: string): string {
  return typed.replace(/[\s-]/g, '');
}

export function checkCodeFormat(typed: string): string {
  const code = normaliseCode(typed);
  if (!/^\d{6}$|^\d{8}$/.test(code)) throw new UsageError('a code is 6 or 8 digits');
  return code;
}
