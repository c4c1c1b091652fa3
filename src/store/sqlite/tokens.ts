// The tokens table on SQLite. A write transaction locks the whole file, so
// reads need no row lock; use() is conditional besides, so a code moves its
// token forward once however the calls interleave.
import { type NewToken, newTokenRow, TOKEN_COLUMNS, type TokenPosition, type TokenRow, type TokensTable, valuesOf } from '../tables.js';
import type { Db } from './open-database.js';

const now = () => Math.floor(Date.now() / 1000);
/** The app token first: the code most callers type is tried first. */
const USER_ORDER = "ORDER BY kind <> 'app', serial";

export class SqliteTokens implements TokensTable {
  constructor(private readonly db: Db) {}

  async get(serial: string): Promise<TokenRow | undefined> {
    return this.db.prepare('SELECT * FROM tokens WHERE serial = ?').get(serial) as TokenRow | undefined;
  }

  async ofUser(user: string): Promise<TokenRow[]> {
    return this.db.prepare(`SELECT * FROM tokens WHERE user_id = ? ${USER_ORDER}`).all(user) as TokenRow[];
  }

  async list(user?: string): Promise<TokenRow[]> {
    return (
      user === undefined
        ? this.db.prepare('SELECT * FROM tokens ORDER BY serial').all()
        : this.db.prepare('SELECT * FROM tokens WHERE user_id = ? ORDER BY serial').all(user)
    ) as TokenRow[];
  }

  async insert(t: NewToken): Promise<void> {
    this.db
      .prepare(`INSERT INTO tokens (${TOKEN_COLUMNS.join(', ')}) VALUES (${TOKEN_COLUMNS.map(() => '?').join(', ')})`)
      .run(...valuesOf(newTokenRow(t), TOKEN_COLUMNS));
  }

  async remove(serial: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM tokens WHERE serial = ?').run(serial).changes === 1;
  }

  async assign(serial: string, user: string | null, secret_box: Buffer): Promise<boolean> {
    return this.change('user_id = ?, secret_box = ?', serial, user, secret_box);
  }

  async setEnabled(serial: string, enabled: boolean): Promise<boolean> {
    return this.change('enabled = ?', serial, enabled ? 1 : 0);
  }

  async replaceSecret(serial: string, secret_box: Buffer, p: Pick<TokenRow, 'algorithm' | 'digits' | 'period'>): Promise<boolean> {
    return this.change(
      'secret_box = ?, algorithm = ?, digits = ?, period = ?, last_step = NULL, drift = 0',
      serial,
      secret_box,
      p.algorithm,
      p.digits,
      p.period,
    );
  }

  async use(serial: string, to: TokenPosition, at: number): Promise<boolean> {
    const r =
      'counter' in to
        ? this.db
            .prepare('UPDATE tokens SET counter = ?, last_used = ?, updated_at = ? WHERE serial = ? AND counter < ?')
            .run(to.counter, at, at, serial, to.counter)
        : this.db
            .prepare(
              'UPDATE tokens SET last_step = ?, drift = ?, last_used = ?, updated_at = ? WHERE serial = ? AND (last_step IS NULL OR last_step < ?)',
            )
            .run(to.step, to.drift, at, at, serial, to.step);
    return r.changes === 1;
  }

  async moveTo(serial: string, to: TokenPosition): Promise<boolean> {
    return 'counter' in to
      ? this.change('counter = ?', serial, to.counter)
      : this.change('last_step = max(coalesce(last_step, ?), ?), drift = ?', serial, to.step, to.step, to.drift);
  }

  private change(assignments: string, serial: string, ...values: unknown[]): boolean {
    return this.db.prepare(`UPDATE tokens SET ${assignments}, updated_at = ? WHERE serial = ?`).run(...values, now(), serial).changes === 1;
  }
}
