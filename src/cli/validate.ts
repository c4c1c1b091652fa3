// What the CLI accepts as a user ID, a PIN, a code and a secret.
import { isBase32Secret } from '../auth/totp.js';
import { CliFailure, UsageError } from './errors.js';

const USER_ID = /^[0-9A-Za-z+_.@-]{1,64}$/;
export const PIN_MIN_DIGITS = 4;

export function checkUserId(id: string): string {
  if (!USER_ID.test(id)) throw new UsageError(`user ID "${id.slice(0, 70)}" is not valid: use 1 to 64 letters, digits and + _ . @ -`);
  return id;
}

/** A phone keypad can only type digits: other IDs must come from the dialplan. */
export function keypadWarning(id: string): string | null {
  return /^\d+$/.test(id) ? null : `user ID ${id} is not all digits, so it cannot be typed on a phone; name it in a profile of astotp.conf (user = ${id}) and run AGI(otp/astotp,profile=NAME)`;
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

export function checkCodeFormat(code: string): string {
  if (!/^\d{6}$|^\d{8}$/.test(code)) throw new UsageError('a code is 6 or 8 digits');
  return code;
}
