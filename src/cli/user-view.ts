// A user's row as list and show present it: never the secret, never the PIN hash.
import { systemClock } from '../auth/clock.js';
import { isHardLock, lockEnd } from '../auth/lockout.js';
import { invitationStatus } from '../auth/invitations.js';
import { tokenLabel } from '../auth/tokens.js';
import type { InvitationRow, TokenRow, UserRow } from '../store/tables.js';
import { counted, isoTime, timeCell } from './format.js';

export interface UserView {
  id: string;
  name: string | null;
  email: string | null;
  language: string | null;
  enabled: boolean;
  locked_until: string | null;
  /** The failures that started the running lock; null when not locked. */
  locked_after_failures: number | null;
  /** Locked until an admin unlocks it (lockout_max_failures right-PIN failures in a row). */
  hard_locked: boolean;
  failures: number;
  /** Failures with the right PIN since the last login, and the locks they escalated. */
  pin_streak: number;
  lock_level: number;
  last_success: string | null;
  created: string | null;
  pin: boolean;
  /** The app token's code parameters; null for a user who holds only fobs. */
  algorithm: string | null;
  digits: number | null;
  period: number | null;
  /** Every token the user holds: "app" and fobs' serials (astotp token list USER has the details). */
  tokens: string[];
  updated: string | null;
  /** Unused recovery codes. */
  recovery_codes_left: number;
}

/** Locks that have run out are shown as none: the next attempt will not see them. */
function lockedUntil(u: UserRow, now = systemClock()): number | null {
  return lockEnd(u, now);
}

/**
 * The failures behind a running lock. Starting a lock sets the stored count
 * back to 0 (auth/lockout.ts), and only the failure that reaches
 * lockout_failures starts one, so that setting is the count; it is wrong
 * only for a lock started before the setting was changed.
 */
function lockedAfter(u: UserRow, lockoutFailures: number): number | null {
  const until = lockedUntil(u);
  return until === null ? null : isHardLock(until) ? u.pin_streak : lockoutFailures;
}

/** "-", or the lock's end and the failures that started it. */
export function lockCell(u: UserRow, lockoutFailures: number): string {
  const until = lockedUntil(u);
  if (until === null) return '-';
  if (isHardLock(until)) return `until unlocked (after ${counted(u.pin_streak, 'failure')} with the right PIN in a row)`;
  const escalated = u.lock_level > 0 ? `, lock ${u.lock_level} of a right-PIN streak` : '';
  return `${timeCell(until)} (after ${counted(lockoutFailures, 'failure')}${escalated})`;
}

/** The user's tokens, the app first (TokensTable.ofUser's order). */
export function userView(u: UserRow, lockoutFailures: number, recoveryLeft: number, tokens: readonly TokenRow[]): UserView {
  const app = tokens.find((k) => k.kind === 'app');
  return {
    id: u.id,
    name: u.display_name,
    email: u.email,
    language: u.language,
    enabled: u.enabled === 1,
    locked_until: isoTime(lockedUntil(u)),
    locked_after_failures: lockedAfter(u, lockoutFailures),
    hard_locked: isHardLock(lockedUntil(u)),
    failures: u.failures,
    pin_streak: u.pin_streak,
    lock_level: u.lock_level,
    last_success: isoTime(u.last_success),
    created: isoTime(u.created_at),
    pin: u.pin_hash !== null,
    algorithm: app?.algorithm ?? null,
    digits: app?.digits ?? null,
    period: app?.period ?? null,
    tokens: tokens.map(tokenLabel),
    updated: isoTime(u.updated_at),
    recovery_codes_left: recoveryLeft,
  };
}

export const LIST_HEADER = ['USER', 'NAME', 'ENABLED', 'LOCKED UNTIL', 'FAILURES', 'RIGHT PIN', 'RECOVERY', 'LAST SUCCESS', 'CREATED'];

export function listRow(u: UserRow, lockoutFailures: number, recoveryLeft: number): string[] {
  return [
    u.id,
    u.display_name ?? '-',
    u.enabled ? 'yes' : 'no',
    lockCell(u, lockoutFailures),
    String(u.failures),
    String(u.pin_streak),
    String(recoveryLeft),
    timeCell(u.last_success),
    timeCell(u.created_at),
  ];
}

/** "invited, expires ...": what list and show say of an ID with an invitation but no user. */
export function invitedState(inv: InvitationRow, now = systemClock()): string {
  return invitationStatus(inv, now) === 'expired'
    ? `invited, expired ${timeCell(inv.expires_at)}`
    : `invited, expires ${timeCell(inv.expires_at)}`;
}

/** A pending invitation as a row of list, its user not enrolled yet. */
export function invitedRow(inv: InvitationRow): string[] {
  return [inv.user_id, inv.display_name ?? '-', invitedState(inv), '-', '-', '-', '-', '-', timeCell(inv.created_at)];
}

export interface InvitedView {
  id: string;
  name: string | null;
  email: string | null;
  language: string | null;
  invited: true;
  invitation_expires: string | null;
  invitation_expired: boolean;
  activation_code: boolean;
  created: string | null;
}

export function invitedView(inv: InvitationRow, now = systemClock()): InvitedView {
  return {
    id: inv.user_id,
    name: inv.display_name,
    email: inv.email,
    language: inv.language,
    invited: true,
    invitation_expires: isoTime(inv.expires_at),
    invitation_expired: invitationStatus(inv, now) === 'expired',
    activation_code: inv.activation_hash !== null,
    created: isoTime(inv.created_at),
  };
}

/** Each user's tokens, the app first, from every token (TokensTable.list). */
export function heldBy(tokens: readonly TokenRow[]): (user: string) => TokenRow[] {
  const of = new Map<string, TokenRow[]>();
  for (const k of tokens) if (k.user_id !== null) of.set(k.user_id, [...(of.get(k.user_id) ?? []), k]);
  for (const list of of.values()) list.sort((a, b) => Number(a.kind !== 'app') - Number(b.kind !== 'app'));
  return (user) => of.get(user) ?? [];
}
