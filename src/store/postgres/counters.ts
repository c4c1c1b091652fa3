// Failure counters on PostgreSQL: the users' columns for enrolled users, the
// throttle table for logins without a users row (pbotp). Inside a write
// transaction every counter a decision is read from is locked first: a
// user's by its row (SELECT ... FOR UPDATE), a throttle counter, whose row
// may not exist yet, by a transaction-scoped advisory lock on its key.
import { prefixRange, type CounterRow, type Counters, type ThrottleTable } from '../tables.js';
import type { Query } from './open-database.js';

/** The counter columns of the users table: a user's counter lives and dies with the user. */
export function postgresUserCounters(q: Query, write: boolean): Counters {
  const forUpdate = write ? ' FOR UPDATE' : '';
  return {
    get: async (id) =>
      (await q<CounterRow>(`SELECT failures, locked_until, pin_streak, lock_level FROM users WHERE id = $1${forUpdate}`, [id])).rows[0],
    put: async (id, c, at) =>
      (
        await q(
          'UPDATE users SET failures = $1, locked_until = $2, pin_streak = coalesce($3, pin_streak), lock_level = coalesce($4, lock_level), updated_at = $5 WHERE id = $6',
          [c.failures, c.locked_until, c.pin_streak ?? null, c.lock_level ?? null, at, id],
        )
      ).rowCount === 1,
    clear: async (id, at) =>
      (
        await q('UPDATE users SET failures = 0, locked_until = NULL, pin_streak = 0, lock_level = 0, updated_at = $1 WHERE id = $2', [
          at,
          id,
        ])
      ).rowCount === 1,
  };
}

export function postgresThrottle(q: Query, write: boolean): ThrottleTable {
  // A counter that has no row yet has nothing to lock: its key is locked instead.
  const lockKey = async (...ids: string[]) => {
    if (!write) return;
    for (const id of [...ids].sort()) await q("SELECT pg_advisory_xact_lock(hashtextextended('astotp.throttle:' || $1, 0))", [id]);
  };
  return {
    get: async (id) => {
      await lockKey(id);
      return (await q<CounterRow>('SELECT failures, locked_until FROM throttle WHERE id = $1', [id])).rows[0];
    },
    put: async (id, c, at) => {
      // Also here: an unlock (clear) racing a failure must not be undone by it.
      await lockKey(id);
      await q(
        `INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
        [id, c.failures, c.locked_until, at],
      );
      return true;
    },
    clear: async (id) => {
      await lockKey(id);
      return (await q('DELETE FROM throttle WHERE id = $1', [id])).rowCount === 1;
    },
    idsStartingWith: async (prefix) => {
      const [from, to] = prefixRange(prefix);
      const r =
        to === null
          ? await q<{ id: string }>('SELECT id FROM throttle WHERE id >= $1', [from])
          : await q<{ id: string }>('SELECT id FROM throttle WHERE id >= $1 AND id < $2', [from, to]);
      return r.rows.map((row) => row.id);
    },
    rename: async (from, to) => {
      await lockKey(from, to);
      await q(
        `INSERT INTO throttle AS t (id, failures, locked_until, updated_at) SELECT $1, failures, locked_until, updated_at FROM throttle WHERE id = $2
         ON CONFLICT (id) DO UPDATE SET
           failures = t.failures + excluded.failures,
           locked_until = CASE WHEN excluded.locked_until > coalesce(t.locked_until, 0) THEN excluded.locked_until ELSE t.locked_until END,
           updated_at = greatest(t.updated_at, excluded.updated_at)`,
        [to, from],
      );
      await q('DELETE FROM throttle WHERE id = $1', [from]);
    },
  };
}
