// What the CLI accepts as a user ID, a code and a secret (the PIN's rules
// are the admin service's: auth/user-admin.ts).
import { isBase32Secret, normaliseCode } from '../auth/totp.js';
import { isUserId, USER_ID_RULE } from '../auth/user-admin.js';
import { CALLER_ID_MAX_DIGITS } from '../call/caller-user.js';
import { applyProfile, type Settings } from '../config/settings.js';
import { UsageError } from './errors.js';

export function checkUserId(id: string): string {
  if (!isUserId(id)) throw new UsageError(`user ID "${id.slice(0, 70)}" is not valid: use ${USER_ID_RULE}`);
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

/** A secret in the forms apps and sites show it in (lower case, spaced, padded) as base32; null when it is none. */
export function base32Secret(input: string): string | null {
  const secret = input.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  return isBase32Secret(secret) ? secret : null;
}

export function checkCodeFormat(typed: string): string {
  const code = normaliseCode(typed);
  if (!/^\d{6}$|^\d{8}$/.test(code)) throw new UsageError('a code is 6 or 8 digits');
  return code;
}
