// When each kind of notice last went to each user, on SQLite: the write
// transaction holds the whole database, so read-then-write cannot race.
import type { NoticesTable } from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteNotices implements NoticesTable {
  constructor(private readonly db: Db) {}

  async claim(user: string, kind: string, at: number, intervalSeconds: number): Promise<boolean> {
    if (!this.db.prepare('SELECT 1 FROM users WHERE id = ?').get(user)) return false;
    const last = this.db.prepare('SELECT sent_at FROM notices WHERE user_id = ? AND kind = ?').pluck().get(user, kind) as
      | number
      | undefined;
    if (last !== undefined && last + intervalSeconds > at) return false;
    this.db
      .prepare(
        'INSERT INTO notices (user_id, kind, sent_at) VALUES (?, ?, ?) ON CONFLICT(user_id, kind) DO UPDATE SET sent_at = excluded.sent_at',
      )
      .run(user, kind, at);
    return true;
  }
}
