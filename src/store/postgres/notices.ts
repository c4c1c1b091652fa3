// When each kind of notice last went to each user, on PostgreSQL: one
// conditional upsert, so two PBXs claiming the same notice at once get one
// true between them.
import type { NoticesTable } from '../tables.js';
import type { Query } from './open-database.js';

export function postgresNotices(q: Query): NoticesTable {
  return {
    claim: async (user, kind, at, intervalSeconds) =>
      (
        await q(
          `INSERT INTO notices AS n (user_id, kind, sent_at) SELECT id, $2, $3 FROM users WHERE id = $1
           ON CONFLICT (user_id, kind) DO UPDATE SET sent_at = excluded.sent_at WHERE n.sent_at + $4 <= excluded.sent_at`,
          [user, kind, at, intervalSeconds],
        )
      ).rowCount === 1,
  };
}
