// The users table on PostgreSQL. Inside a write transaction get() locks the
// row (SELECT ... FOR UPDATE) until the transaction ends, so check-then-record
// cannot race with another PBX. Parameters are always bound ($1), never spliced.
import { LEGACY_SECRET_COLUMNS, type NewUser, type UserRow, type UsersTable } from '../tables.js';
import type { Query } from './open-database.js';

const now = () => Math.floor(Date.now() / 1000);

/** `write`: inside exclusive(), where reads lock. */
export function postgresUsers(q: Query, write: boolean): UsersTable {
  const forUpdate = write ? ' FOR UPDATE' : '';
  return {
    get: async (id) => (await q<UserRow>(`SELECT * FROM users WHERE id = $1${forUpdate}`, [id])).rows[0],
    list: async () => (await q<UserRow>('SELECT * FROM users ORDER BY id')).rows,
    count: async () => (await q<{ n: number }>('SELECT count(*)::integer AS n FROM users')).rows[0]!.n,
    insert: async (u: NewUser) => {
      const t = now();
      await q(
        'INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, display_name, email, language, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)',
        [
          u.id,
          u.pin_hash,
          LEGACY_SECRET_COLUMNS.secret_box,
          LEGACY_SECRET_COLUMNS.algorithm,
          LEGACY_SECRET_COLUMNS.digits,
          LEGACY_SECRET_COLUMNS.period,
          u.display_name ?? null,
          u.email ?? null,
          u.language ?? null,
          t,
        ],
      );
    },
    setPin: (id, hash) => updateUser(q, ['pin_hash'], id, [hash]),
    setEnabled: (id, enabled) => updateUser(q, ['enabled'], id, [enabled ? 1 : 0]),
    setProfile: async (id, p) => {
      const given = (['display_name', 'email', 'language'] as const).filter((c) => p[c] !== undefined);
      if (given.length === 0) return (await q('SELECT 1 FROM users WHERE id = $1', [id])).rowCount === 1;
      return updateUser(
        q,
        [...given],
        id,
        given.map((c) => p[c]),
      );
    },
    remove: async (id) => (await q('DELETE FROM users WHERE id = $1', [id])).rowCount === 1,
    recordLogin: async (id, at) => {
      await q('UPDATE users SET last_success = $1, updated_at = $1 WHERE id = $2', [at, id]);
    },
  };
}

/** SET col1 = $1, ... for one user, with updated_at; true when the user exists. */
async function updateUser(q: Query, columns: string[], id: string, values: unknown[]): Promise<boolean> {
  const set = columns.map((c, i) => `${c} = $${i + 1}`).join(', ');
  const r = await q(`UPDATE users SET ${set}, updated_at = $${columns.length + 1} WHERE id = $${columns.length + 2}`, [
    ...values,
    now(),
    id,
  ]);
  return r.rowCount === 1;
}
