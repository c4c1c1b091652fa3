// The lockout policy, the same for enrolled users (counters in the users
// table) and pbotp logins (the throttle table). The rules, all here:
// - A counter is locked while now < locked_until: the second locked_until
//   names is already free again.
// - A failure while unlocked adds one; the failure that reaches
//   lockout_failures starts a lock of lockout_minutes and sets the count back
//   to 0. So a lock that has run out leaves 0 failures behind, and the next
//   lock takes lockout_failures new ones. Failures never expire on their own.
// - While locked, attempts are refused without being counted: a lock is not
//   lengthened by the guesses made during it.
// - A success and an admin's unlock both clear the counter: no failures, no lock.
//
// For users asked a PIN, guessing is also bounded for good (NIST SP 800-63B
// §5.2.2): the failures where the PIN was checked and right but the code
// wrong are counted in a row (pin_streak). A caller who does not know the
// PIN cannot raise that count, so it may drive harsher rules without letting
// a stranger disable an account:
// - a wrong PIN neither raises nor resets the streak; only a success (or
//   an unlock) resets it;
// - while a streak runs, each lock doubles the one before (lock_level),
//   from lockout_minutes up to lockout_max_minutes;
// - at lockout_max_failures right-PIN failures in a row the user is locked
//   until an admin unlocks it: locked_until is HARD_LOCK_UNTIL, so every
//   astotp, older ones sharing the database included, sees a lock.
// A stranger's wrong PINs thus cause only the temporary lock they always did.
// Callers run failure() and success() inside the transaction that judged the
// attempt, so check and count cannot race.
import type { CounterRow, Counters } from '../store/tables.js';

export interface LockRules {
  lockoutFailures: number;
  lockoutMinutes: number;
  /** The longest a lock escalated by a right-PIN streak lasts; none given: locks never escalate (pbotp, client addresses). */
  lockoutMaxMinutes?: number;
  /** Right-PIN failures in a row that lock a user until an admin unlocks it; none given: never. */
  lockoutMaxFailures?: number;
}

/**
 * 9999-12-31 23:59:59 UTC: a lock no clock reaches, which older astotp,
 * reading only locked_until, honours as any other lock.
 */
export const HARD_LOCK_UNTIL = 253_402_300_799;

/** The end of a lock still running at `now`, else null. */
export function lockEnd(c: CounterRow | undefined, now: number): number | null {
  return c?.locked_until != null && c.locked_until > now ? c.locked_until : null;
}

/** True for a lock that only an admin ends. */
export function isHardLock(until: number | null): boolean {
  return until !== null && until >= HARD_LOCK_UNTIL;
}

/** What a failure did: a lock it started (its end, and its minutes; null for a hard lock), and the streak. */
export interface FailureOutcome {
  /** `level`: the lock's place in a right-PIN streak (1 for its first), null when no streak runs. */
  lock: { until: number; minutes: number | null; level: number | null } | null;
  /** Right-PIN failures in a row now (0 for counters without a streak). */
  streak: number;
}

/** A counter's state after one more failure at `now`; `pinRight`: the PIN was asked, checked and right. */
export function afterFailure(c: CounterRow | undefined, now: number, rules: LockRules, pinRight = false): CounterRow {
  const failures = (c?.failures ?? 0) + 1;
  const streak = (c?.pin_streak ?? 0) + (pinRight ? 1 : 0);
  const level = c?.lock_level ?? 0;
  const streakCols = c?.pin_streak === undefined && !pinRight ? {} : { pin_streak: streak, lock_level: level };
  if (rules.lockoutMaxFailures !== undefined && pinRight && streak >= rules.lockoutMaxFailures)
    return { failures: 0, locked_until: HARD_LOCK_UNTIL, ...streakCols };
  if (failures < rules.lockoutFailures) return { failures, locked_until: c?.locked_until ?? null, ...streakCols };
  const escalates = streak > 0 && rules.lockoutMaxMinutes !== undefined;
  const minutes = escalates ? lockMinutes(level, rules) : rules.lockoutMinutes;
  return { failures: 0, locked_until: now + minutes * 60, ...streakCols, ...(escalates ? { lock_level: level + 1 } : {}) };
}

/** How long the lock at `level` within a streak lasts: lockout_minutes doubled per level, up to lockout_max_minutes. */
export function lockMinutes(level: number, rules: LockRules): number {
  const most = Math.max(rules.lockoutMinutes, rules.lockoutMaxMinutes ?? rules.lockoutMinutes);
  return Math.min(rules.lockoutMinutes * 2 ** Math.min(level, 30), most);
}

/**
 * The lockout of one kind of login, on the table that holds its counters in
 * one transaction (the counters of a StoreTx).
 */
export class Lockout {
  constructor(
    private readonly counters: Counters,
    private readonly rules: LockRules,
  ) {}

  async lockedUntil(id: string, now: number): Promise<number | null> {
    return lockEnd(await this.counters.get(id), now);
  }

  /** Counts a failure; says which lock it started, if any, and how long the right-PIN streak is now. */
  async failure(id: string, now: number, opts: { pinRight?: boolean } = {}): Promise<FailureOutcome> {
    const before = await this.counters.get(id);
    const after = afterFailure(before, now, this.rules, opts.pinRight === true);
    const streak = after.pin_streak ?? 0;
    if (!(await this.counters.put(id, after, now))) return { lock: null, streak: 0 };
    // Only the failure that starts a lock leaves a count of 0.
    if (after.failures !== 0 || after.locked_until === null) return { lock: null, streak };
    const hard = isHardLock(after.locked_until);
    const minutes = hard ? null : Math.round((after.locked_until - now) / 60);
    const level = (after.lock_level ?? 0) > (before?.lock_level ?? 0) ? (after.lock_level ?? null) : null;
    return { lock: { until: after.locked_until, minutes, level }, streak };
  }

  async success(id: string, now: number): Promise<void> {
    await this.counters.clear(id, now);
  }

  /** The admin's unlock: returns whether there was a counter to clear. */
  unlock(id: string, now: number): Promise<boolean> {
    return this.counters.clear(id, now);
  }
}
