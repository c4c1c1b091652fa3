// A challenge that a caller can read out or key in: the 32 bytes as a
// little-endian integer (the X25519 u-coordinate itself) in 78 decimal digits,
// cut into 13 groups of 6, each followed by a Damm check digit. The check digit
// also covers the group's position (1..13), so a typo, a swap of neighbouring
// digits or groups typed out of order are named before any code is computed.
import { dammCheckDigit, dammValid } from './damm.js';
import { PbotpInputError } from './errors.js';

const CHALLENGE_DIGITS = 78;
const GROUP_DATA_DIGITS = 6;
export const GROUP_COUNT = CHALLENGE_DIGITS / GROUP_DATA_DIGITS;
const GROUP_LENGTH = GROUP_DATA_DIGITS + 1;
export const CHALLENGE_BYTES = 32;
const LIMIT = 1n << 256n;

export class ChallengeDigitsError extends PbotpInputError {
  override name = 'ChallengeDigitsError';
  /** 1-based numbers of the groups found wrong; empty when no single group is to blame. */
  constructor(
    message: string,
    readonly groups: number[] = [],
  ) {
    super(message);
  }
}

function position(index: number): string {
  return String(index + 1).padStart(2, '0');
}

/** 13 strings of 7 digits: 6 digits of the challenge and a check digit. */
export function encodeChallengeDigits(challenge: Uint8Array): string[] {
  if (challenge.length !== CHALLENGE_BYTES) throw new RangeError(`challenge must be ${CHALLENGE_BYTES} bytes`);
  const value = BigInt(`0x${Buffer.from(challenge).reverse().toString('hex')}`);
  const digits = value.toString().padStart(CHALLENGE_DIGITS, '0');
  const groups: string[] = [];
  for (let i = 0; i < GROUP_COUNT; i++) {
    const data = digits.slice(i * GROUP_DATA_DIGITS, (i + 1) * GROUP_DATA_DIGITS);
    groups.push(data + dammCheckDigit(position(i) + data));
  }
  return groups;
}

/** True for text that can only be meant as challenge digits (digits, spaces, dashes). */
export function looksLikeChallengeDigits(text: string): boolean {
  return /^[\d\s-]+$/u.test(text) && /\d/.test(text);
}

function splitGroups(typed: string): string[] {
  if (!looksLikeChallengeDigits(typed)) {
    throw new ChallengeDigitsError('challenge digits may contain only digits, spaces and dashes');
  }
  const tokens = typed.split(/[\s-]+/u).filter((t) => t !== '');
  if (tokens.length === GROUP_COUNT) {
    const wrong = tokens.flatMap((t, i) => (t.length === GROUP_LENGTH ? [] : [i + 1]));
    if (wrong.length > 0) {
      const which = wrong.map((g) => `${g} (${tokens[g - 1]!.length} digit${tokens[g - 1]!.length === 1 ? '' : 's'})`).join(', ');
      throw new ChallengeDigitsError(`each group has ${GROUP_LENGTH} digits; wrong length in group ${which}`, wrong);
    }
    return tokens;
  }
  const all = tokens.join('');
  if (all.length !== GROUP_COUNT * GROUP_LENGTH) {
    throw new ChallengeDigitsError(
      `expected ${GROUP_COUNT} groups of ${GROUP_LENGTH} digits (${GROUP_COUNT * GROUP_LENGTH} digits), got ${all.length} digit${all.length === 1 ? '' : 's'}`,
    );
  }
  return Array.from({ length: GROUP_COUNT }, (_, i) => all.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH));
}

/**
 * Reads challenge digits as typed (groups separated by spaces or dashes, or
 * run together) back into the 32-byte challenge. Throws ChallengeDigitsError
 * naming every group whose check digit is wrong.
 */
export function decodeChallengeDigits(typed: string): Uint8Array {
  const groups = splitGroups(typed);
  const bad = groups.flatMap((g, i) => (dammValid(position(i) + g) ? [] : [i + 1]));
  if (bad.length > 0) {
    const which = bad.map((g) => `${g} (${groups[g - 1]})`).join(', ');
    throw new ChallengeDigitsError(`check digit wrong in group ${which}: please re-type ${bad.length === 1 ? 'it' : 'them'}`, bad);
  }
  const value = BigInt(groups.map((g) => g.slice(0, GROUP_DATA_DIGITS)).join(''));
  if (value >= LIMIT) throw new ChallengeDigitsError('challenge digits are out of range (not a 32-byte value)');
  const hex = value.toString(16).padStart(CHALLENGE_BYTES * 2, '0');
  return new Uint8Array(Buffer.from(hex, 'hex').reverse());
}
