// The pbotp authority's approvers and their API tokens, on PostgreSQL.
import type { ApiTokenRow, ApiTokensTable, RoleRow, RolesTable } from '../tables.js';
import type { Query } from './open-database.js';

export function postgresRoles(q: Query, write: boolean): RolesTable {
  const forUpdate = write ? ' FOR UPDATE' : '';
  return {
    get: async (user) => (await q<RoleRow>(`SELECT * FROM roles WHERE user_id = $1${forUpdate}`, [user])).rows[0],
    list: async () => (await q<RoleRow>('SELECT * FROM roles ORDER BY user_id')).rows,
    put: async (r) => {
      await q(
        `INSERT INTO roles (user_id, role, group_names, host_patterns, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, group_names = excluded.group_names,
           host_patterns = excluded.host_patterns, updated_at = excluded.updated_at`,
        [r.user_id, r.role, r.group_names, r.host_patterns, r.created_at, r.updated_at],
      );
    },
    remove: async (user) => (await q('DELETE FROM roles WHERE user_id = $1', [user])).rowCount === 1,
  };
}

export function postgresApiTokens(q: Query, write: boolean): ApiTokensTable {
  const forUpdate = write ? ' FOR UPDATE' : '';
  return {
    add: async (t) =>
      (
        await q<{ id: number }>(
          'INSERT INTO api_tokens (user_id, token_hash, label, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id',
          [t.user_id, t.token_hash, t.label, t.created_at, t.created_by],
        )
      ).rows[0]!.id,
    byHash: async (hash) => (await q<ApiTokenRow>(`SELECT * FROM api_tokens WHERE token_hash = $1${forUpdate}`, [hash])).rows[0],
    get: async (id) => (await q<ApiTokenRow>(`SELECT * FROM api_tokens WHERE id = $1${forUpdate}`, [id])).rows[0],
    list: async () => (await q<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY id')).rows,
    revoke: async (id, at) =>
      (await q('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount === 1,
    used: async (id, at) => {
      await q('UPDATE api_tokens SET last_used = $1 WHERE id = $2', [at, id]);
    },
  };
}
