// Recovery codes on PostgreSQL. The verifier reads them after locking the
// user's row (users.get ... FOR UPDATE), so two calls with codes of one user
// take turns; use() is conditional besides, so one code opens one call even
// without that lock.
import type { RecoveryCodesTable } from '../tables.js';
import type { Query } from './open-database.js';

export function postgresRecoveryCodes(q: Query): RecoveryCodesTable {
  return {
    replace: async (user, hashes, at) => {
      await q('DELETE FROM recovery_codes WHERE user_id = $1', [user]);
      if (hashes.length === 0) return;
      await q('INSERT INTO recovery_codes (user_id, hash, used_at, created_at) SELECT $1, h, NULL, $3 FROM unnest($2::text[]) AS h', [
        user,
        hashes,
        at,
      ]);
    },
    usedAt: async (user, hash) => {
      const r = await q<{ used_at: number | null }>('SELECT used_at FROM recovery_codes WHERE user_id = $1 AND hash = $2', [user, hash]);
      return r.rows[0]?.used_at;
    },
    use: async (user, hash, at) =>
      (await q('UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND hash = $3 AND used_at IS NULL', [at, user, hash]))
        .rowCount === 1,
    left: async (users) => {
      const r =
        users === undefined
          ? await q<{ user_id: string; n: number }>(
              'SELECT user_id, count(*)::integer AS n FROM recovery_codes WHERE used_at IS NULL GROUP BY user_id',
            )
          : await q<{ user_id: string; n: number }>(
              'SELECT user_id, count(*)::integer AS n FROM recovery_codes WHERE used_at IS NULL AND user_id = ANY($1) GROUP BY user_id',
              [users],
            );
      return new Map(r.rows.map((row) => [row.user_id, row.n]));
    },
  };
}
