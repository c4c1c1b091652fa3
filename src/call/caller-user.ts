// The user a call is for when the caller is not asked: named by the admin,
// or the caller ID number. A caller ID is whatever the caller's phone or
// carrier claims, so it only ever names a user (the PIN and code still
// decide), and one that could not be an ID makes the attempt one for a user
// that does not exist, judged like any other.
import type { UserSource } from '../config/settings.js';
import type { CallInfo } from './channel.js';

/** E.164 numbers have at most 15 digits. */
export const CALLER_ID_MAX_DIGITS = 15;

/** Characters that split or join AGI arguments (`,` `|`) or a FastAGI query (`&` `=`). */
const ARGUMENT_SYNTAX = /[,&=|]/;

/**
 * True when the caller ID carries argument syntax: no real number does, and
 * a dialplan that interpolated it has already been given extra arguments.
 */
export function callerIdInjects(info: CallInfo): boolean {
  return ARGUMENT_SYNTAX.test(info.callerId);
}

/** The ID the caller ID number stands for, or null when it is not a plain number. */
function callerIdUser(callerId: string): string | null {
  const digits = callerId.startsWith('+') ? callerId.slice(1) : callerId;
  return /^\d+$/.test(digits) && digits.length <= CALLER_ID_MAX_DIGITS ? digits : null;
}

/**
 * undefined: ask the caller. Otherwise the call's user, null when the
 * source names no possible user (the caller ID was withheld or not a number).
 */
export function fixedUser(source: UserSource, info: CallInfo): { id: string | null } | undefined {
  switch (source.from) {
    case 'prompt':
      return undefined;
    case 'fixed':
      return { id: source.id };
    case 'callerid':
      return { id: callerIdUser(info.callerId) };
  }
}
