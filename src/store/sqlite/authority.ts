// The pbotp authority's approvers and their API tokens, on SQLite.
import type { ApiTokenRow, ApiTokensTable, NewApiToken, RoleRow, RolesTable } from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteRoles implements RolesTable {
  constructor(private readonly db: Db) {}

  async get(user: string): Promise<RoleRow | undefined> {
    return this.db.prepare('SELECT * FROM roles WHERE user_id = ?').get(user) as RoleRow | undefined;
  }

  async list(): Promise<RoleRow[]> {
    return this.db.prepare('SELECT * FROM roles ORDER BY user_id').all() as RoleRow[];
  }

  async put(r: RoleRow): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO roles (user_id, role, group_names, host_patterns, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(user_id) DO UPDATE SET role = excluded.role, group_names = excluded.group_names,
           host_patterns = excluded.host_patterns, updated_at = excluded.updated_at`,
      )
      .run(r.user_id, r.role, r.group_names, r.host_patterns, r.created_at, r.updated_at);
  }

  async remove(user: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM roles WHERE user_id = ?').run(user).changes === 1;
  }
}

export class SqliteApiTokens implements ApiTokensTable {
  constructor(private readonly db: Db) {}

  async add(t: NewApiToken): Promise<number> {
    const r = this.db
      .prepare('INSERT INTO api_tokens (user_id, token_hash, label, created_at, created_by) VALUES (?, ?, ?, ?, ?)')
      .run(t.user_id, t.token_hash, t.label, t.created_at, t.created_by);
    return Number(r.lastInsertRowid);
  }

  async byHash(hash: string): Promise<ApiTokenRow | undefined> {
    return this.db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?').get(hash) as ApiTokenRow | undefined;
  }

  async get(id: number): Promise<ApiTokenRow | undefined> {
    return this.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as ApiTokenRow | undefined;
  }

  async list(): Promise<ApiTokenRow[]> {
    return this.db.prepare('SELECT * FROM api_tokens ORDER BY id').all() as ApiTokenRow[];
  }

  async revoke(id: number, at: number): Promise<boolean> {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
  }

  async used(id: number, at: number): Promise<void> {
    this.db.prepare('UPDATE api_tokens SET last_used = ? WHERE id = ?').run(at, id);
  }
}
