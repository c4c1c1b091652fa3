// Whole rows in and out of SQLite, for astotp migrate.
import {
  API_TOKEN_COLUMNS,
  ROLE_COLUMNS,
  type ApiTokenRow,
  type RoleRow,
  clip,
  INVITATION_COLUMNS,
  RECOVERY_CODE_COLUMNS,
  THROTTLE_COLUMNS,
  TOKEN_COLUMNS,
  USER_COLUMNS,
  valuesOf,
  type AuditEntry,
  type AuditRow,
  type InvitationRow,
  type RecoveryCodeRow,
  type StoredUserRow,
  type ThrottleRow,
  type TokenRow,
  type TransferCounts,
  type TransferTable,
} from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteTransfer implements TransferTable {
  constructor(private readonly db: Db) {}

  async isEmpty(): Promise<boolean> {
    const c = await this.counts();
    return Object.values(c).every((n) => n === 0);
  }

  async clear(): Promise<void> {
    this.db.exec(
      'DELETE FROM api_tokens; DELETE FROM roles; DELETE FROM recovery_codes; DELETE FROM tokens; DELETE FROM users; DELETE FROM throttle; DELETE FROM audit; DELETE FROM invitations; DELETE FROM web_sessions;',
    );
  }

  async users(): Promise<StoredUserRow[]> {
    return this.db.prepare(`SELECT ${USER_COLUMNS.join(', ')} FROM users ORDER BY id`).all() as StoredUserRow[];
  }

  async putUsers(rows: StoredUserRow[]): Promise<void> {
    this.insertAll('users', USER_COLUMNS, rows);
  }

  async tokens(): Promise<TokenRow[]> {
    return this.db.prepare(`SELECT ${TOKEN_COLUMNS.join(', ')} FROM tokens ORDER BY serial`).all() as TokenRow[];
  }

  async putTokens(rows: TokenRow[]): Promise<void> {
    this.insertAll('tokens', TOKEN_COLUMNS, rows);
  }

  async recoveryCodes(): Promise<RecoveryCodeRow[]> {
    return this.db
      .prepare(`SELECT ${RECOVERY_CODE_COLUMNS.join(', ')} FROM recovery_codes ORDER BY user_id, hash`)
      .all() as RecoveryCodeRow[];
  }

  async putRecoveryCodes(rows: RecoveryCodeRow[]): Promise<void> {
    this.insertAll('recovery_codes', RECOVERY_CODE_COLUMNS, rows);
  }

  async throttle(): Promise<ThrottleRow[]> {
    return this.db.prepare(`SELECT ${THROTTLE_COLUMNS.join(', ')} FROM throttle ORDER BY id`).all() as ThrottleRow[];
  }

  async putThrottle(rows: ThrottleRow[]): Promise<void> {
    this.insertAll('throttle', THROTTLE_COLUMNS, rows);
  }

  private insertAll<R>(table: string, columns: readonly (keyof R)[], rows: R[]): void {
    const insert = this.db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    for (const r of rows) insert.run(...valuesOf(r, columns));
  }

  async auditPage(after: number, limit: number): Promise<AuditRow[]> {
    return this.db
      .prepare(
        `SELECT id, at, coalesce(login, user) AS user, caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .all(after, limit) as AuditRow[];
  }

  async putAudit(rows: AuditEntry[]): Promise<void> {
    const insert = this.db.prepare(
      'INSERT INTO audit (at, user, login, caller_id, channel, uniqueid, source, result, reason, detail, pbx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of rows)
      insert.run(e.at, clip(e.user), clip(e.user), e.caller_id, e.channel, e.uniqueid, e.source, e.result, e.reason, e.detail, e.pbx);
  }

  async invitations(): Promise<InvitationRow[]> {
    return this.db.prepare('SELECT * FROM invitations ORDER BY id').all() as InvitationRow[];
  }

  async putInvitations(rows: InvitationRow[]): Promise<void> {
    this.insertAll('invitations', INVITATION_COLUMNS, rows);
  }

  async roles(): Promise<RoleRow[]> {
    return this.db.prepare(`SELECT ${ROLE_COLUMNS.join(', ')} FROM roles ORDER BY user_id`).all() as RoleRow[];
  }

  async putRoles(rows: RoleRow[]): Promise<void> {
    this.insertAll('roles', ROLE_COLUMNS, rows);
  }

  async apiTokens(): Promise<ApiTokenRow[]> {
    return this.db.prepare('SELECT * FROM api_tokens ORDER BY id').all() as ApiTokenRow[];
  }

  async putApiTokens(rows: ApiTokenRow[]): Promise<void> {
    this.insertAll('api_tokens', API_TOKEN_COLUMNS, rows);
  }

  async counts(): Promise<TransferCounts> {
    const n = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      users: n('users'),
      tokens: n('tokens'),
      recovery_codes: n('recovery_codes'),
      throttle: n('throttle'),
      audit: n('audit'),
      invitations: n('invitations'),
      roles: n('roles'),
      api_tokens: n('api_tokens'),
    };
  }
}
