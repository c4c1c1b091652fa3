// Recovery codes on SQLite. A write transaction locks the whole database, so
// the conditional UPDATE in use() is all it takes for one code to open one call.
import type { RecoveryCodesTable } from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteRecoveryCodes implements RecoveryCodesTable {
  constructor(private readonly db: Db) {}

  async replace(user: string, hashes: string[], at: number): Promise<void> {
    this.db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').run(user);
    const insert = this.db.prepare('INSERT INTO recovery_codes (user_id, hash, used_at, created_at) VALUES (?, ?, NULL, ?)');
    for (const hash of hashes) insert.run(user, hash, at);
  }

  async usedAt(user: string, hash: string): Promise<number | null | undefined> {
    const row = this.db.prepare('SELECT used_at FROM recovery_codes WHERE user_id = ? AND hash = ?').get(user, hash) as
      | { used_at: number | null }
      | undefined;
    return row?.used_at;
  }

  async use(user: string, hash: string, at: number): Promise<boolean> {
    return (
      this.db.prepare('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL').run(at, user, hash)
        .changes === 1
    );
  }

  async left(users?: string[]): Promise<Map<string, number>> {
    const rows = this.db
      .prepare('SELECT user_id, count(*) AS n FROM recovery_codes WHERE used_at IS NULL GROUP BY user_id')
      .all() as Array<{ user_id: string; n: number }>;
    const wanted = users === undefined ? null : new Set(users);
    return new Map(rows.filter((r) => wanted === null || wanted.has(r.user_id)).map((r) => [r.user_id, r.n]));
  }
}
