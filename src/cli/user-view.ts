// A user's row as list and show present it: never the secret, never the PIN hash.
import { systemClock } from '../auth/clock.js';
import { lockEnd } from '../auth/lockout.js';
import type { UserRow } from '../store/tables.js';
import { isoTime, localTime } from './format.js';

export interface UserView {
  id: string;
  enabled: boolean;
  locked_until: string | null;
  failures: number;
  last_success: string | null;
  created: string | null;
  pin: boolean;
  algorithm: string;
  digits: number;
  period: number;
  updated: string | null;
}

/** Locks that have run out are shown as none: the next attempt will not see them. */
export function lockedUntil(u: UserRow, now = systemClock()): number | null {
  return lockEnd(u, now);
}

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    enabled: u.enabled === 1,
    locked_until: isoTime(lockedUntil(u)),
    failures: u.failures,
    last_success: isoTime(u.last_success),
    created: isoTime(u.created_at),
    pin: u.pin_hash !== null,
    algorithm: u.algorithm,
    digits: u.digits,
    period: u.period,
    updated: isoTime(u.updated_at),
  };
}

export const LIST_HEADER = ['USER', 'ENABLED', 'LOCKED UNTIL', 'FAILURES', 'LAST SUCCESS', 'CREATED'];

export function listRow(u: UserRow): string[] {
  return [u.id, u.enabled ? 'yes' : 'no', localTime(lockedUntil(u)), String(u.failures), localTime(u.last_success), localTime(u.created_at)];
}
