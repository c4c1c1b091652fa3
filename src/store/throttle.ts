// Failure counts and lockouts for logins without a users row (pbotp callers
// need no enrolment). Same rules as users.failures / users.locked_until: a
// failure that reaches the limit starts a lock and resets the count.
import type { Db } from './open-database.js';

export interface ThrottleRow {
  id: string;
  failures: number;
  locked_until: number | null;
  updated_at: number;
}

export class Throttle {
  constructor(private readonly db: Db) {}

  get(id: string): ThrottleRow | undefined {
    return this.db.prepare('SELECT * FROM throttle WHERE id = ?').get(id) as ThrottleRow | undefined;
  }

  /** The end of a lock still running at `now`, else null. */
  lockedUntil(id: string, now: number): number | null {
    const until = this.get(id)?.locked_until ?? null;
    return until !== null && until > now ? until : null;
  }

  /** Counts a failure; returns the lock end when this failure reached the limit. */
  recordFailure(id: string, at: number, limit: number, lockSeconds: number): number | null {
    const row = this.db
      .prepare(
        `INSERT INTO throttle (id, failures, updated_at) VALUES (?, 1, ?)
         ON CONFLICT(id) DO UPDATE SET failures = failures + 1, updated_at = excluded.updated_at
         RETURNING failures`,
      )
      .get(id, at) as { failures: number };
    if (row.failures < limit) return null;
    const until = at + lockSeconds;
    this.db.prepare('UPDATE throttle SET failures = 0, locked_until = ?, updated_at = ? WHERE id = ?').run(until, at, id);
    return until;
  }

  /** The ids that start with `prefix`. */
  idsStartingWith(prefix: string): string[] {
    return this.db.prepare('SELECT id FROM throttle WHERE substr(id, 1, ?) = ?').pluck().all(prefix.length, prefix) as string[];
  }

  /** Moves a row to another id, adding its failures to a row already there and keeping the later lock. */
  rename(from: string, to: string): void {
    this.db
      .prepare(
        `INSERT INTO throttle (id, failures, locked_until, updated_at) SELECT ?, failures, locked_until, updated_at FROM throttle WHERE id = ?
         ON CONFLICT(id) DO UPDATE SET
           failures = failures + excluded.failures,
           locked_until = CASE WHEN excluded.locked_until > coalesce(locked_until, 0) THEN excluded.locked_until ELSE locked_until END,
           updated_at = max(updated_at, excluded.updated_at)`,
      )
      .run(to, from);
    this.clear(from);
  }

  /** Forgets failures and any lock: after a success, or when the admin unlocks. Returns whether there was a row. */
  clear(id: string): boolean {
    return this.db.prepare('DELETE FROM throttle WHERE id = ?').run(id).changes === 1;
  }
}
