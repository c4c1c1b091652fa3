// Failure counters on SQLite: the users' columns for enrolled users, the
// throttle table for logins without a users row (pbotp). SQLite locks the
// whole database for a write transaction, so get() needs no row lock.
import { prefixRange, type CounterRow, type Counters, type ThrottleTable } from '../tables.js';
import type { Db } from './open-database.js';

/** The counter columns of the users table: a user's counter lives and dies with the user. */
export class SqliteUserCounters implements Counters {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<CounterRow | undefined> {
    return this.db.prepare('SELECT failures, locked_until, pin_streak, lock_level FROM users WHERE id = ?').get(id) as
      | CounterRow
      | undefined;
  }

  async put(id: string, c: CounterRow, at: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          'UPDATE users SET failures = ?, locked_until = ?, pin_streak = coalesce(?, pin_streak), lock_level = coalesce(?, lock_level), updated_at = ? WHERE id = ?',
        )
        .run(c.failures, c.locked_until, c.pin_streak ?? null, c.lock_level ?? null, at, id).changes === 1
    );
  }

  async clear(id: string, at: number): Promise<boolean> {
    return this.put(id, { failures: 0, locked_until: null, pin_streak: 0, lock_level: 0 }, at);
  }
}

export class SqliteThrottle implements ThrottleTable {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<CounterRow | undefined> {
    return this.db.prepare('SELECT failures, locked_until FROM throttle WHERE id = ?').get(id) as CounterRow | undefined;
  }

  async put(id: string, c: CounterRow, at: number): Promise<boolean> {
    this.db
      .prepare(
        `INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
      )
      .run(id, c.failures, c.locked_until, at);
    return true;
  }

  async clear(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM throttle WHERE id = ?').run(id).changes === 1;
  }

  async idsStartingWith(prefix: string): Promise<string[]> {
    const [from, to] = prefixRange(prefix);
    if (to === null) return this.db.prepare('SELECT id FROM throttle WHERE id >= ?').pluck().all(from) as string[];
    return this.db.prepare('SELECT id FROM throttle WHERE id >= ? AND id < ?').pluck().all(from, to) as string[];
  }

  async rename(from: string, to: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO throttle (id, failures, locked_until, updated_at) SELECT ?, failures, locked_until, updated_at FROM throttle WHERE id = ?
         ON CONFLICT(id) DO UPDATE SET
           failures = failures + excluded.failures,
           locked_until = CASE WHEN excluded.locked_until > coalesce(locked_until, 0) THEN excluded.locked_until ELSE locked_until END,
           updated_at = max(updated_at, excluded.updated_at)`,
      )
      .run(to, from);
    await this.clear(from);
  }
}
