// Failure counters of logins without a users row (pbotp callers need no
// enrollment). A row exists only while there is something to count.
import type { CounterRow, Counters } from './counters.js';
import type { Db } from './open-database.js';

export class Throttle implements Counters {
  constructor(private readonly db: Db) {}

  get(id: string): CounterRow | undefined {
    return this.db.prepare('SELECT failures, locked_until FROM throttle WHERE id = ?').get(id) as CounterRow | undefined;
  }

  put(id: string, c: CounterRow, at: number): boolean {
    this.db
      .prepare(
        `INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
      )
      .run(id, c.failures, c.locked_until, at);
    return true;
  }

  clear(id: string): boolean {
    return this.db.prepare('DELETE FROM throttle WHERE id = ?').run(id).changes === 1;
  }

  /**
   * The ids that start with `prefix`, as a range of the primary key: runs on
   * every pbotp try, inside its write transaction, over a table that grows
   * with every ID callers type, so it must not scan.
   */
  idsStartingWith(prefix: string): string[] {
    if (prefix === '') return this.db.prepare('SELECT id FROM throttle').pluck().all() as string[];
    const last = prefix.charCodeAt(prefix.length - 1);
    const after = prefix.slice(0, -1) + String.fromCharCode(last + 1);
    return this.db.prepare('SELECT id FROM throttle WHERE id >= ? AND id < ?').pluck().all(prefix, after) as string[];
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
}
