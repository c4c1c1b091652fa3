// The users table on SQLite.
import { LEGACY_SECRET_COLUMNS, type NewUser, type UserProfile, type UserRow, type UsersTable } from '../tables.js';
import type { Db } from './open-database.js';

const now = () => Math.floor(Date.now() / 1000);
const PROFILE_COLUMNS = ['display_name', 'email', 'language'] as const;

export class SqliteUsers implements UsersTable {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<UserRow | undefined> {
    return this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
  }

  async list(): Promise<UserRow[]> {
    return this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[];
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  async insert(u: NewUser): Promise<void> {
    const t = now();
    const legacy = LEGACY_SECRET_COLUMNS;
    this.db
      .prepare(
        'INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, display_name, email, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        u.id,
        u.pin_hash,
        legacy.secret_box,
        legacy.algorithm,
        legacy.digits,
        legacy.period,
        u.display_name ?? null,
        u.email ?? null,
        u.language ?? null,
        t,
        t,
      );
  }

  async setPin(id: string, pin_hash: string | null): Promise<boolean> {
    return this.change('pin_hash = ?', id, pin_hash);
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    return this.change('enabled = ?', id, enabled ? 1 : 0);
  }

  async setProfile(id: string, p: Partial<UserProfile>): Promise<boolean> {
    const given = PROFILE_COLUMNS.filter((c) => p[c] !== undefined);
    if (given.length === 0) return (await this.get(id)) !== undefined;
    return this.change(given.map((c) => `${c} = ?`).join(', '), id, ...given.map((c) => p[c]));
  }

  async remove(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes === 1;
  }

  async recordLogin(id: string, at: number): Promise<void> {
    this.db.prepare('UPDATE users SET last_success = ?, updated_at = ? WHERE id = ?').run(at, at, id);
  }

  private change(assignments: string, id: string, ...values: unknown[]): boolean {
    return this.db.prepare(`UPDATE users SET ${assignments}, updated_at = ? WHERE id = ?`).run(...values, now(), id).changes === 1;
  }
}
