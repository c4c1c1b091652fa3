// The tables on PostgreSQL. Many PBXs write at once, so inside a write
// transaction every row a decision is read from is locked first: users by
// SELECT ... FOR UPDATE, throttle counters (whose row may not exist yet) by
// a transaction-scoped advisory lock on their key. Parameters are always
// bound ($1), never spliced.
import type { QueryResultRow } from 'pg';
import { postgresInvitations, postgresWebSessions } from './invitations.js';
import { postgresRecoveryCodes } from './recovery-codes.js';
import { postgresTransfer } from './transfer.js';
import {
  clip,
  prefixRange,
  type AuditEntry,
  type AuditQuery,
  type AuditTable,
  type CounterRow,
  type Counters,
  type MetaTable,
  type NewUser,
  type StoreTx,
  type ThrottleTable,
  type UserRow,
  type UsersTable,
} from '../tables.js';

export type Query = <R extends QueryResultRow>(sql: string, params?: unknown[]) => Promise<{ rows: R[]; rowCount: number | null }>;

const now = () => Math.floor(Date.now() / 1000);

/** The tables seen through one connection; `write`: inside exclusive(), where reads lock. */
export function postgresTables(q: Query, write: boolean): StoreTx {
  const forUpdate = write ? ' FOR UPDATE' : '';
  const changed = async (sql: string, params: unknown[]) => (await q(sql, params)).rowCount === 1;
  const users: UsersTable = {
    get: async (id) => (await q<UserRow>(`SELECT * FROM users WHERE id = $1${forUpdate}`, [id])).rows[0],
    list: async () => (await q<UserRow>('SELECT * FROM users ORDER BY id')).rows,
    count: async () => (await q<{ n: number }>('SELECT count(*)::integer AS n FROM users')).rows[0]!.n,
    insert: async (u: NewUser) => {
      const t = now();
      await q(
        'INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, display_name, email, language, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)',
        [u.id, u.pin_hash, u.secret_box, u.algorithm, u.digits, u.period, u.display_name ?? null, u.email ?? null, u.language ?? null, t],
      );
    },
    replaceSecret: (id, box, p) =>
      updateUser(q, ['secret_box', 'algorithm', 'digits', 'period', 'last_step'], id, [box, p.algorithm, p.digits, p.period, null]),
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
    remove: (id) => changed('DELETE FROM users WHERE id = $1', [id]),
    recordLogin: async (id, step, at) => {
      await q('UPDATE users SET last_step = coalesce($1, last_step), last_success = $2, updated_at = $2 WHERE id = $3', [step, at, id]);
    },
    markStepUsed: (id, step) => updateUser(q, ['last_step'], id, [step]),
  };

  const userCounters: Counters = {
    get: async (id) => (await q<CounterRow>(`SELECT failures, locked_until FROM users WHERE id = $1${forUpdate}`, [id])).rows[0],
    put: (id, c, at) =>
      changed('UPDATE users SET failures = $1, locked_until = $2, updated_at = $3 WHERE id = $4', [c.failures, c.locked_until, at, id]),
    clear: (id, at) => changed('UPDATE users SET failures = 0, locked_until = NULL, updated_at = $1 WHERE id = $2', [at, id]),
  };

  // A counter that has no row yet has nothing to lock: its key is locked instead.
  const lockKey = async (...ids: string[]) => {
    if (!write) return;
    for (const id of [...ids].sort()) await q("SELECT pg_advisory_xact_lock(hashtextextended('astotp.throttle:' || $1, 0))", [id]);
  };
  const throttle: ThrottleTable = {
    get: async (id) => {
      await lockKey(id);
      return (await q<CounterRow>('SELECT failures, locked_until FROM throttle WHERE id = $1', [id])).rows[0];
    },
    put: async (id, c, at) => {
      // Also here: an unlock (clear) racing a failure must not be undone by it.
      await lockKey(id);
      await q(
        `INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
        [id, c.failures, c.locked_until, at],
      );
      return true;
    },
    clear: async (id) => {
      await lockKey(id);
      return changed('DELETE FROM throttle WHERE id = $1', [id]);
    },
    idsStartingWith: async (prefix) => {
      const [from, to] = prefixRange(prefix);
      const r =
        to === null
          ? await q<{ id: string }>('SELECT id FROM throttle WHERE id >= $1', [from])
          : await q<{ id: string }>('SELECT id FROM throttle WHERE id >= $1 AND id < $2', [from, to]);
      return r.rows.map((row) => row.id);
    },
    rename: async (from, to) => {
      await lockKey(from, to);
      await q(
        `INSERT INTO throttle AS t (id, failures, locked_until, updated_at) SELECT $1, failures, locked_until, updated_at FROM throttle WHERE id = $2
         ON CONFLICT (id) DO UPDATE SET
           failures = t.failures + excluded.failures,
           locked_until = CASE WHEN excluded.locked_until > coalesce(t.locked_until, 0) THEN excluded.locked_until ELSE t.locked_until END,
           updated_at = greatest(t.updated_at, excluded.updated_at)`,
        [to, from],
      );
      await q('DELETE FROM throttle WHERE id = $1', [from]);
    },
  };

  const audit: AuditTable = {
    add: async (e: AuditEntry) => {
      await q(
        'INSERT INTO audit (at, login, caller_id, channel, uniqueid, source, result, reason, detail, pbx) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [e.at, clip(e.user), clip(e.caller_id), clip(e.channel), clip(e.uniqueid), e.source, e.result, e.reason, e.detail, clip(e.pbx)],
      );
    },
    list: async (f: AuditQuery = {}) => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (f.users !== undefined) args.push(f.users), where.push(`login = ANY($${args.length})`);
      if (f.since !== undefined) args.push(f.since), where.push(`at >= $${args.length}`);
      if (f.pbx !== undefined) args.push(f.pbx), where.push(`pbx = $${args.length}`);
      if (f.sources !== undefined) args.push(f.sources), where.push(`source = ANY($${args.length})`);
      args.push(f.limit ?? 50);
      const r = await q<AuditEntry>(
        `SELECT at, login AS "user", caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`,
        args,
      );
      return r.rows.reverse();
    },
  };

  const meta: MetaTable = {
    get: async (key) => (await q<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value,
    set: async (key, value) => {
      await q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };

  return {
    users,
    userCounters,
    throttle,
    recoveryCodes: postgresRecoveryCodes(q),
    audit,
    meta,
    transfer: postgresTransfer(q),
    invitations: postgresInvitations(q, write),
    webSessions: postgresWebSessions(q),
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
