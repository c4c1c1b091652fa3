// Failure counters, stored as failures + locked_until: the users' columns for
// enrolled users, the throttle table for logins without a users row (pbotp).
// Only rows are read and written here; what they mean is auth/lockout.ts's.
import type { Db } from './open-database.js';

export interface CounterRow {
  failures: number;
  locked_until: number | null;
}

export interface Counters {
  get(id: string): CounterRow | undefined;
  /** Writes the counter; false when there is nothing to hold it (no such user). */
  put(id: string, c: CounterRow, at: number): boolean;
  /** Back to no failures and no lock. Returns whether there was a counter. */
  clear(id: string, at: number): boolean;
}

/** The counter columns of the users table: a user's counter lives and dies with the user. */
export class UserCounters implements Counters {
  constructor(private readonly db: Db) {}

  get(id: string): CounterRow | undefined {
    return this.db.prepare('SELECT failures, locked_until FROM users WHERE id = ?').get(id) as CounterRow | undefined;
  }

  put(id: string, c: CounterRow, at: number): boolean {
    return this.db.prepare('UPDATE users SET failures = ?, locked_until = ?, updated_at = ? WHERE id = ?').run(c.failures, c.locked_until, at, id).changes === 1;
  }

  clear(id: string, at: number): boolean {
    return this.put(id, { failures: 0, locked_until: null }, at);
  }
}
