// Whole rows in and out of SQLite, for astotp migrate.
import { clip, type AuditEntry, type AuditRow, type RecoveryCodeRow, type ThrottleRow, type TransferCounts, type TransferTable, type UserRow } from '../tables.js';
import type { Db } from './open-database.js';

const USER_COLUMNS = ['id', 'pin_hash', 'secret_box', 'algorithm', 'digits', 'period', 'enabled', 'failures', 'locked_until', 'last_step', 'last_success', 'created_at', 'updated_at'] as const;

export class SqliteTransfer implements TransferTable {
  constructor(private readonly db: Db) {}

  async isEmpty(): Promise<boolean> {
    const c = await this.counts();
    return c.users + c.recovery_codes + c.throttle + c.audit === 0;
  }

  async clear(): Promise<void> {
    this.db.exec('DELETE FROM recovery_codes; DELETE FROM users; DELETE FROM throttle; DELETE FROM audit;');
  }

  async users(): Promise<UserRow[]> {
    return this.db.prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM users ORDER BY id`).all() as UserRow[];
  }

  async putUsers(rows: UserRow[]): Promise<void> {
    const insert = this.db.prepare(`INSERT INTO users (${USER_COLUMNS.join(', ')}) VALUES (${USER_COLUMNS.map(() => '?').join(', ')})`);
    for (const r of rows) insert.run(...USER_COLUMNS.map((c) => r[c]));
  }

  async recoveryCodes(): Promise<RecoveryCodeRow[]> {
    return this.db.prepare('SELECT user_id, hash, used_at, created_at FROM recovery_codes ORDER BY user_id, hash').all() as RecoveryCodeRow[];
  }

  async putRecoveryCodes(rows: RecoveryCodeRow[]): Promise<void> {
    const insert = this.db.prepare('INSERT INTO recovery_codes (user_id, hash, used_at, created_at) VALUES (?, ?, ?, ?)');
    for (const r of rows) insert.run(r.user_id, r.hash, r.used_at, r.created_at);
  }

  async throttle(): Promise<ThrottleRow[]> {
    return this.db.prepare('SELECT id, failures, locked_until, updated_at FROM throttle ORDER BY id').all() as ThrottleRow[];
  }

  async putThrottle(rows: ThrottleRow[]): Promise<void> {
    const insert = this.db.prepare('INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)');
    for (const r of rows) insert.run(r.id, r.failures, r.locked_until, r.updated_at);
  }

  async auditPage(after: number, limit: number): Promise<AuditRow[]> {
    return this.db
      .prepare(`SELECT id, at, coalesce(login, user) AS user, caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit WHERE id > ? ORDER BY id LIMIT ?`)
      .all(after, limit) as AuditRow[];
  }

  async putAudit(rows: AuditEntry[]): Promise<void> {
    const insert = this.db.prepare('INSERT INTO audit (at, user, login, caller_id, channel, uniqueid, source, result, reason, detail, pbx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const e of rows) insert.run(e.at, clip(e.user), clip(e.user), e.caller_id, e.channel, e.uniqueid, e.source, e.result, e.reason, e.detail, e.pbx);
  }

  async counts(): Promise<TransferCounts> {
    const n = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { users: n('users'), recovery_codes: n('recovery_codes'), throttle: n('throttle'), audit: n('audit') };
  }
}
