// Whole rows in and out of PostgreSQL, for astotp migrate. Rows go in as
// multi-row INSERTs of bounded size: one round trip per batch, not per row.
import {
  API_TOKEN_COLUMNS,
  ROLE_COLUMNS,
  type ApiTokenRow,
  type RoleRow,
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
import type { Query } from './open-database.js';

const AUDIT_COLUMNS = ['at', 'login', 'caller_id', 'channel', 'uniqueid', 'source', 'result', 'reason', 'detail', 'pbx'] as const;
/** PostgreSQL takes at most 65535 parameters in one statement. */
const BATCH_ROWS = 2_000;

export function postgresTransfer(q: Query): TransferTable {
  const insertAll = async (table: string, columns: readonly string[], rows: unknown[][]) => {
    for (let i = 0; i < rows.length; i += BATCH_ROWS) {
      const batch = rows.slice(i, i + BATCH_ROWS);
      const values = batch.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
      await q(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, batch.flat());
    }
  };
  const counts = async () => {
    const r = await q<TransferCounts>(
      'SELECT (SELECT count(*) FROM users)::integer AS users, (SELECT count(*) FROM tokens)::integer AS tokens, (SELECT count(*) FROM recovery_codes)::integer AS recovery_codes, (SELECT count(*) FROM throttle)::integer AS throttle, (SELECT count(*) FROM audit)::integer AS audit, (SELECT count(*) FROM invitations)::integer AS invitations, (SELECT count(*) FROM roles)::integer AS roles, (SELECT count(*) FROM api_tokens)::integer AS api_tokens',
    );
    return r.rows[0]!;
  };
  return {
    isEmpty: async () => {
      const c = await counts();
      return Object.values(c).every((n) => n === 0);
    },
    clear: async () => {
      await q('DELETE FROM api_tokens');
      await q('DELETE FROM roles');
      await q('DELETE FROM recovery_codes');
      await q('DELETE FROM tokens');
      await q('DELETE FROM users');
      await q('DELETE FROM throttle');
      await q('DELETE FROM audit');
      await q('DELETE FROM invitations');
      await q('DELETE FROM web_sessions');
    },
    users: async () => (await q<StoredUserRow>(`SELECT ${USER_COLUMNS.join(', ')} FROM users ORDER BY id`)).rows,
    putUsers: (rows: StoredUserRow[]) =>
      insertAll(
        'users',
        USER_COLUMNS,
        rows.map((r) => valuesOf(r, USER_COLUMNS)),
      ),
    tokens: async () => (await q<TokenRow>(`SELECT ${TOKEN_COLUMNS.join(', ')} FROM tokens ORDER BY serial`)).rows,
    putTokens: (rows: TokenRow[]) =>
      insertAll(
        'tokens',
        TOKEN_COLUMNS,
        rows.map((r) => valuesOf(r, TOKEN_COLUMNS)),
      ),
    recoveryCodes: async () =>
      (await q<RecoveryCodeRow>(`SELECT ${RECOVERY_CODE_COLUMNS.join(', ')} FROM recovery_codes ORDER BY user_id, hash`)).rows,
    putRecoveryCodes: (rows: RecoveryCodeRow[]) =>
      insertAll(
        'recovery_codes',
        RECOVERY_CODE_COLUMNS,
        rows.map((r) => valuesOf(r, RECOVERY_CODE_COLUMNS)),
      ),
    throttle: async () => (await q<ThrottleRow>(`SELECT ${THROTTLE_COLUMNS.join(', ')} FROM throttle ORDER BY id`)).rows,
    putThrottle: (rows: ThrottleRow[]) =>
      insertAll(
        'throttle',
        THROTTLE_COLUMNS,
        rows.map((r) => valuesOf(r, THROTTLE_COLUMNS)),
      ),
    auditPage: async (after: number, limit: number) =>
      (
        await q<AuditRow>(
          'SELECT id, at, login AS "user", caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit WHERE id > $1 ORDER BY id LIMIT $2',
          [after, limit],
        )
      ).rows,
    putAudit: (rows: AuditEntry[]) =>
      insertAll(
        'audit',
        AUDIT_COLUMNS,
        rows.map((e) => [e.at, e.user, e.caller_id, e.channel, e.uniqueid, e.source, e.result, e.reason, e.detail, e.pbx]),
      ),
    invitations: async () => (await q<InvitationRow>('SELECT * FROM invitations ORDER BY id')).rows,
    putInvitations: (rows: InvitationRow[]) =>
      insertAll(
        'invitations',
        INVITATION_COLUMNS,
        rows.map((r) => valuesOf(r, INVITATION_COLUMNS)),
      ),
    roles: async () => (await q<RoleRow>(`SELECT ${ROLE_COLUMNS.join(', ')} FROM roles ORDER BY user_id`)).rows,
    putRoles: (rows: RoleRow[]) =>
      insertAll(
        'roles',
        ROLE_COLUMNS,
        rows.map((r) => valuesOf(r, ROLE_COLUMNS)),
      ),
    apiTokens: async () => (await q<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY id')).rows,
    putApiTokens: (rows: ApiTokenRow[]) =>
      insertAll(
        'api_tokens',
        API_TOKEN_COLUMNS,
        rows.map((r) => valuesOf(r, API_TOKEN_COLUMNS)),
      ),
    counts,
  };
}
