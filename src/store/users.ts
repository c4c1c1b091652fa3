// The users table. Secrets arrive here already sealed and PINs already hashed:
// this layer never sees a plaintext secret.
import type { Algorithm } from '../totp/algorithm.js';
import type { Db } from './open-database.js';

export interface UserRow {
  id: string;
  pin_hash: string | null;
  secret_box: Buffer;
  algorithm: Algorithm;
  digits: number;
  period: number;
  enabled: number;
  failures: number;
  locked_until: number | null;
  last_step: number | null;
  last_success: number | null;
  created_at: number;
  updated_at: number;
}

export type NewUser = Pick<UserRow, 'id' | 'pin_hash' | 'secret_box' | 'algorithm' | 'digits' | 'period'>;

const now = () => Math.floor(Date.now() / 1000);

export class Users {
  constructor(private readonly db: Db) {}

  get(id: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
  }

  list(): UserRow[] {
    return this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[];
  }

  insert(u: NewUser): void {
    const t = now();
    this.db
      .prepare('INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(u.id, u.pin_hash, u.secret_box, u.algorithm, u.digits, u.period, t, t);
  }

  /** A new secret makes every old code and the replay marker meaningless. */
  replaceSecret(id: string, secret_box: Buffer, p: Pick<UserRow, 'algorithm' | 'digits' | 'period'>): boolean {
    return this.change('secret_box = ?, algorithm = ?, digits = ?, period = ?, last_step = NULL', id, secret_box, p.algorithm, p.digits, p.period);
  }

  setPin(id: string, pin_hash: string | null): boolean {
    return this.change('pin_hash = ?', id, pin_hash);
  }

  setEnabled(id: string, enabled: boolean): boolean {
    return this.change('enabled = ?', id, enabled ? 1 : 0);
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes === 1;
  }

  /** A login: its code's time step is used up. The failure counter is lockout's (counters.ts). */
  recordLogin(id: string, step: number, at: number): void {
    this.db.prepare('UPDATE users SET last_step = ?, last_success = ?, updated_at = ? WHERE id = ?').run(step, at, at, id);
  }

  /** Marks a code's time step as used without counting a login, e.g. the code that confirmed an enrollment. */
  markStepUsed(id: string, step: number): boolean {
    return this.change('last_step = ?', id, step);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  private change(assignments: string, id: string, ...values: unknown[]): boolean {
    return this.db.prepare(`UPDATE users SET ${assignments}, updated_at = ? WHERE id = ?`).run(...values, now(), id).changes === 1;
  }
}
