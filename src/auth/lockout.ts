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
// Callers run failure() and success() inside the transaction that judged the
// attempt, so check and count cannot race.
import type { CounterRow, Counters } from '../store/tables.js';

export interface LockRules {
  lockoutFailures: number;
  lockoutMinutes: number;
}

/** The end of a lock still running at `now`, else null. */
export function lockEnd(c: CounterRow | undefined, now: number): number | null {
  return c?.locked_until != null && c.locked_until > now ? c.locked_until : null;
}

/** A counter's state after one more failure at `now`. */
export function afterFailure(c: CounterRow | undefined, now: number, rules: LockRules): CounterRow {
  const failures = (c?.failures ?? 0) + 1;
  if (failures < rules.lockoutFailures) return { failures, locked_until: c?.locked_until ?? null };
  return { failures: 0, locked_until: now + rules.lockoutMinutes * 60 };
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

  /** Counts a failure; returns the lock end when this failure started a lock. */
  async failure(id: string, now: number): Promise<number | null> {
    const after = afterFailure(await this.counters.get(id), now, this.rules);
    if (!(await this.counters.put(id, after, now))) return null;
    // Only the failure that starts a lock leaves a count of 0.
    return after.failures === 0 ? after.locked_until : null;
  }

  async success(id: string, now: number): Promise<void> {
    await this.counters.clear(id, now);
  }

  /** The admin's unlock: returns whether there was a counter to clear. */
  unlock(id: string, now: number): Promise<boolean> {
    return this.counters.clear(id, now);
  }
}
