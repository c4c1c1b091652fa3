// The tokens table on PostgreSQL. Inside a write transaction get() and
// ofUser() lock the rows (SELECT ... FOR UPDATE) until it ends; use() is
// conditional besides, so a code moves its token forward once, whichever
// PBX's call gets there first. Parameters are always bound, never spliced.
import { type NewToken, newTokenRow, TOKEN_COLUMNS, type TokenPosition, type TokenRow, type TokensTable, valuesOf } from '../tables.js';
import type { Query } from './open-database.js';

const now = () => Math.floor(Date.now() / 1000);

/** `write`: inside exclusive(), where reads lock. */
export function postgresTokens(q: Query, write: boolean): TokensTable {
  const forUpdate = write ? ' FOR UPDATE' : '';
  const change = async (assignments: string, serial: string, values: unknown[]) => {
    const n = values.length;
    const r = await q(`UPDATE tokens SET ${assignments}, updated_at = $${n + 1} WHERE serial = $${n + 2}`, [...values, now(), serial]);
    return r.rowCount === 1;
  };
  return {
    get: async (serial) => (await q<TokenRow>(`SELECT * FROM tokens WHERE serial = $1${forUpdate}`, [serial])).rows[0],
    // The app token first: the code most callers type is tried first.
    ofUser: async (user) =>
      (await q<TokenRow>(`SELECT * FROM tokens WHERE user_id = $1 ORDER BY kind <> 'app', serial${forUpdate}`, [user])).rows,
    list: async (user) =>
      (user === undefined
        ? await q<TokenRow>('SELECT * FROM tokens ORDER BY serial')
        : await q<TokenRow>('SELECT * FROM tokens WHERE user_id = $1 ORDER BY serial', [user])
      ).rows,
    insert: async (t: NewToken) => {
      await q(
        `INSERT INTO tokens (${TOKEN_COLUMNS.join(', ')}) VALUES (${TOKEN_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
        valuesOf(newTokenRow(t), TOKEN_COLUMNS),
      );
    },
    remove: async (serial) => (await q('DELETE FROM tokens WHERE serial = $1', [serial])).rowCount === 1,
    assign: (serial, user, box) => change('user_id = $1, secret_box = $2', serial, [user, box]),
    setEnabled: (serial, enabled) => change('enabled = $1', serial, [enabled ? 1 : 0]),
    replaceSecret: (serial, box, p) =>
      change('secret_box = $1, algorithm = $2, digits = $3, period = $4, last_step = NULL, drift = 0', serial, [
        box,
        p.algorithm,
        p.digits,
        p.period,
      ]),
    use: async (serial, to: TokenPosition, at) => {
      const r =
        'counter' in to
          ? await q('UPDATE tokens SET counter = $1, last_used = $2, updated_at = $2 WHERE serial = $3 AND counter < $1', [
              to.counter,
              at,
              serial,
            ])
          : await q(
              'UPDATE tokens SET last_step = $1, drift = $2, last_used = $3, updated_at = $3 WHERE serial = $4 AND (last_step IS NULL OR last_step < $1)',
              [to.step, to.drift, at, serial],
            );
      return r.rowCount === 1;
    },
    moveTo: (serial, to) =>
      'counter' in to
        ? change('counter = $1', serial, [to.counter])
        : change('last_step = greatest(coalesce(last_step, $1), $1), drift = $2', serial, [to.step, to.drift]),
  };
}
