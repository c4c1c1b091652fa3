// A whole site in one file and back: every row the site's logins depend on,
// whole (the store's TransferTable, as migrate copies them), and the key
// file's own bytes, since PIN hashes, recovery code HMACs, masked IDs and
// sealed secrets are all keyed by it; sealed under a passphrase
// (backup-file.ts). A restore brings the rows back in one transaction and
// moves every replay mark forward, so that no code seen since the backup
// opens a call again.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Settings } from '../config/settings.js';
import { openStore } from '../store/open-store.js';
import { AUTHORITY_SCHEMA, SCHEMA_VERSION } from '../store/schema.js';
import type { Store } from '../store/store.js';
import {
  API_TOKEN_COLUMNS,
  INVITATION_COLUMNS,
  ROLE_COLUMNS,
  RECOVERY_CODE_COLUMNS,
  THROTTLE_COLUMNS,
  TOKEN_COLUMNS,
  USER_COLUMNS,
  type ApiTokenRow,
  type AuditEntry,
  type InvitationRow,
  type RoleRow,
  type RecoveryCodeRow,
  type StoredUserRow,
  type StoreTx,
  type ThrottleRow,
  type TokenRow,
  type TransferCounts,
} from '../store/tables.js';
import { type Actor, type AuditPlace, recordAdminAction } from './admin-audit.js';
import { openBackup, sealBackup } from './backup-file.js';
import { shownTime } from './clock.js';
import { AuthError } from './errors.js';
import { AUTHORITY_MARK, AUTHORITY_VALUE, isAuthority } from './authority-mark.js';
import { KEY_CHECK_META } from './key-binding.js';
import {
  checkValuesMatch,
  createMasterKey,
  KeyFileError,
  type MasterKey,
  masterKeyOf,
  readRawKey,
  replaceMasterKey,
} from './master-key.js';
import type { CodeRules } from './tokens.js';

export { checkNewPassphrase, MAX_SCRYPT, MIN_PASSPHRASE_CHARS, readBackupHeader, SCRYPT } from './backup-file.js';

/**
 * Every table of the schema, and what a backup does with it. A table the
 * schema gains must be added here (test/backup-restore.test.ts lists the
 * database's own tables and fails on one that is missing).
 */
export const BACKUP_TABLES = {
  users: 'backed up: PIN hashes, profiles, failure counts and locks',
  tokens: 'backed up: sealed secrets, counters, replay marks, drift; replay marks move forward on restore',
  recovery_codes: 'backed up: HMACs, used or not',
  throttle: "backed up: pbotp logins' failure counts and locks",
  invitations: 'backed up: pending and ended, by hashes of their links and codes',
  audit: 'backed up with --with-audit only',
  roles: "backed up: a pbotp authority's approvers and their rights",
  api_tokens: "backed up: an authority's API tokens, by their hashes, revoked or not",
  meta: "the key check is restored from the key the backup carries, a pbotp authority's mark with the rows; the schema's marks are the target's own",
  web_sessions: 'left out: a session that outlived a restore would open what a logout or a new PIN closed; they last minutes',
  notices: 'left out: when the last notice went, to send at most one an hour; at worst one more mail after a restore',
  schema_migrations: "left out: PostgreSQL's record of the target's own schema",
} as const;

/** What a backup holds in each table (audit: null when it was made without). */
export interface BackupCounts extends Omit<TransferCounts, 'audit'> {
  audit: number | null;
}

/** The content, gzipped JSON inside the sealed file; `schema` is the one its rows have. */
interface Content {
  astotp_backup: 1;
  made_at: number;
  made_on: string;
  schema: number;
  /** The key file's 32 bytes. */
  key: Buffer;
  users: StoredUserRow[];
  tokens: TokenRow[];
  recovery_codes: RecoveryCodeRow[];
  throttle: ThrottleRow[];
  /** Without their ids, which each database numbers itself. */
  invitations: Omit<InvitationRow, 'id'>[];
  audit: AuditEntry[] | null;
  /** A pbotp authority's (schema 8; a backup of schema 7 has none): its mark, approvers and API tokens, these without ids. */
  authority: boolean;
  roles: RoleRow[];
  api_tokens: Omit<ApiTokenRow, 'id'>[];
}

/**
 * Per table, the columns the schema gained since the oldest backup this
 * astotp restores (schema 7), with the value a restore gives them, so that
 * an older backup still restores; a column a backup's rows lack and that is
 * not here refuses the restore.
 */
const COLUMN_DEFAULTS: Record<string, Record<string, unknown>> = {};

const AUDIT_FIELDS: readonly (keyof AuditEntry)[] = [
  'at',
  'user',
  'caller_id',
  'channel',
  'uniqueid',
  'source',
  'result',
  'reason',
  'detail',
  'pbx',
];

/** How many audit rows are read at once. */
const AUDIT_PAGE = 5_000;

/**
 * - target-in-use: the database to restore into holds rows or is bound to another key;
 * - other-key: the key file is not the backup's key;
 * - unusable-content: the file authenticated but holds what this astotp cannot restore (a newer schema).
 */
type SiteBackupProblem = 'target-in-use' | 'other-key' | 'unusable-content';

class SiteBackupError extends AuthError {
  declare readonly code: SiteBackupProblem;

  constructor(message: string, code: SiteBackupProblem) {
    super(message, code);
    this.name = 'SiteBackupError';
  }
}

export interface BackupRequest {
  passphrase: string;
  withAudit: boolean;
  /** Named in the audit row: where the backup goes. */
  destination: string;
  actor: Actor;
  place: AuditPlace;
}

/**
 * The site as one sealed file. Recorded in the audit log before any row is
 * read (no copy of the secrets without its row); the rows are read in one
 * read transaction, so the backup is one moment of the site.
 */
export async function makeBackup(
  store: Store,
  key: MasterKey,
  keyFile: string,
  req: BackupRequest,
): Promise<{ file: Buffer; counts: BackupCounts }> {
  const raw = readRawKey(keyFile);
  // The file on disk is the key the database was opened with, not one swapped in since.
  if (!checkValuesMatch(masterKeyOf(raw).checkValue, key.checkValue))
    throw new KeyFileError(`key file ${keyFile} changed while the backup was made; nothing was written`, 'mismatch');
  await store.exclusive((t) =>
    recordAdminAction(t, req.actor, req.place, 'backup', null, `to ${req.destination}${req.withAudit ? ', with the audit log' : ''}`),
  );
  const content = await store.read(
    async (t): Promise<Content> => ({
      astotp_backup: 1,
      made_at: req.place.now(),
      made_on: req.place.pbx,
      schema: SCHEMA_VERSION,
      key: raw,
      users: await t.transfer.users(),
      tokens: await t.transfer.tokens(),
      recovery_codes: await t.transfer.recoveryCodes(),
      throttle: await t.transfer.throttle(),
      invitations: (await t.transfer.invitations()).map(({ id: _id, ...row }) => row),
      audit: req.withAudit ? await allAudit(t) : null,
      authority: await isAuthority(t),
      roles: await t.transfer.roles(),
      api_tokens: (await t.transfer.apiTokens()).map(({ id: _id, ...row }) => row),
    }),
  );
  const file = await sealBackup(gzipSync(Buffer.from(JSON.stringify(content, encodeBuffers))), req.passphrase);
  return { file, counts: rowsIn(content) };
}

async function allAudit(t: StoreTx): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (let after = 0; ; ) {
    const page = await t.transfer.auditPage(after, AUDIT_PAGE);
    if (page.length === 0) return out;
    for (const { id: _id, ...row } of page) out.push(row);
    after = page[page.length - 1]!.id;
  }
}

export interface RestoreRequest {
  passphrase: string;
  /** How messages name the backup file. */
  name: string;
  /** Replace what the database holds, and a key file that is not the backup's. */
  force: boolean;
  actor: Actor;
  place: AuditPlace;
}

export interface RestoreReport {
  db: string;
  made_at: number;
  made_on: string;
  /** Rows the database holds after the commit, the restore's own audit row not counted. */
  counts: BackupCounts;
  key_file: 'created' | 'kept' | 'replaced';
  /** Tokens whose replay mark moved: TOTP ones to the step after the window, HOTP ones by hotp_window. */
  moved: { totp: number; hotp: number };
  pending_invitations: number;
  /** Audit rows the target held before (--force): deleted with the rest of what it held, not kept beside the backup's. */
  deleted_audit: number;
  /** Seconds this machine's clock was behind the backup's making: the marks were set from the backup's time instead. */
  clock_behind: number;
  /** The tokens restored, for checks of the target's settings against them. */
  tokens: Pick<TokenRow, 'user_id' | 'kind' | 'serial' | 'digits'>[];
}

/**
 * Restores `file` into the database `s` names and writes its key to
 * s.keyFile. The whole file authenticates before anything is written, and
 * refusals (a database in use, another key) come before any write too.
 *
 * The rows go in in one transaction, so an interrupted restore leaves the
 * database as it was. The key file is written before that transaction
 * commits; when the database is bound to another key (with --force), it is
 * emptied in a transaction of its own first, so that at no moment does a
 * key file sit beside rows it cannot open: an interruption leaves the old
 * key with an empty database, or the new key with an empty one, or the whole
 * restore.
 */
export async function restoreSite(s: Settings, file: Buffer, rules: CodeRules, req: RestoreRequest): Promise<RestoreReport> {
  const content = readContent(await openBackup(file, req.passphrase, req.name), req.name);
  const key = masterKeyOf(content.key);
  const present = keyFileHolds(s.keyFile, content.key);
  if (present === 'other' && !req.force)
    throw new SiteBackupError(
      `key file ${s.keyFile} holds another key than the backup's; nothing was written (--force replaces it, and what the database holds)`,
      'other-key',
    );
  const store = await openStore(s.db, {
    create: true,
    blocking: true,
    timeoutMs: s.dbTimeoutMs,
    connectTimeoutMs: s.dbConnectTimeoutMs,
    insecureTls: s.dbInsecureTls,
  });
  try {
    const target = await store.read(async (t) => ({ empty: await t.transfer.isEmpty(), check: await t.meta.get(KEY_CHECK_META) }));
    const bound = target.check !== undefined && !checkValuesMatch(target.check, key.checkValue);
    if (!req.force && (!target.empty || bound)) throw inUse(store.name);
    let deletedAudit = 0;
    let clockBehind = 0;
    if (present !== 'same') {
      // Rows another key sealed, or a database naming another key, must be gone before this key file appears.
      if (target.check === undefined ? !target.empty : bound) deletedAudit += await store.exclusive(emptied);
      writeKey(s.keyFile, present, content.key);
    }
    await store.exclusive(async (t) => {
      if (!req.force && !(await t.transfer.isEmpty())) throw inUse(store.name);
      deletedAudit += await emptied(t);
      await t.meta.set(KEY_CHECK_META, key.checkValue);
      await t.transfer.putUsers(content.users);
      // The clock read once the database is the restore's alone: no code typed before that moment is taken.
      // A clock behind the backup's own time (a new machine before NTP set it) would set the marks too low,
      // reopening, once it is right, the codes used between the backup and the real now.
      const clock = req.place.now();
      clockBehind = Math.max(0, content.made_at - clock);
      const now = clock + clockBehind;
      await t.transfer.putTokens(content.tokens.map((k) => movedForward(k, rules, now)));
      await t.transfer.putRecoveryCodes(content.recovery_codes);
      await t.transfer.putThrottle(content.throttle);
      await t.transfer.putInvitations(content.invitations as InvitationRow[]);
      if (content.authority) await t.meta.set(AUTHORITY_MARK, AUTHORITY_VALUE);
      await t.transfer.putRoles(content.roles);
      await t.transfer.putApiTokens(content.api_tokens as ApiTokenRow[]);
      if (content.audit) await t.transfer.putAudit(content.audit);
      await recordAdminAction(
        t,
        req.actor,
        req.place,
        'restore',
        null,
        `from ${req.name}, made on ${content.made_on} at ${shownTime(content.made_at)}`,
      );
    });
    const after = await store.read((t) => t.transfer.counts());
    return {
      db: store.name,
      made_at: content.made_at,
      made_on: content.made_on,
      counts: countsOf({ ...after, audit: content.audit ? after.audit - 1 : null }),
      key_file: present === 'same' ? 'kept' : present === 'missing' ? 'created' : 'replaced',
      moved: {
        totp: content.tokens.filter((t) => t.kind !== 'hotp').length,
        hotp: content.tokens.filter((t) => t.kind === 'hotp').length,
      },
      pending_invitations: content.invitations.filter((i) => i.state === 'pending').length,
      deleted_audit: deletedAudit,
      clock_behind: clockBehind,
      tokens: content.tokens.map(({ user_id, kind, serial, digits }) => ({ user_id, kind, serial, digits })),
    };
  } finally {
    await store.close();
  }
}

/**
 * A restore must not reopen what time closed: an HOTP counter moves on by
 * the look-ahead, a TOTP token's replay mark to the last step a code typed
 * before now could have had (its clock's drift and the window included), so
 * every code seen since the backup stays dead. Callers wait at most the
 * window and one step for a code that works.
 */
function movedForward(t: TokenRow, rules: CodeRules, now: number): TokenRow {
  if (t.kind === 'hotp') return { ...t, counter: t.counter! + rules.hotpWindow };
  const step = Math.floor(now / t.period!) + t.drift + rules.window;
  return { ...t, last_step: Math.max(t.last_step ?? step, step) };
}

/** Empties the database; how many audit rows it held, which the report names: they are gone for good. */
async function emptied(t: StoreTx): Promise<number> {
  const { audit } = await t.transfer.counts();
  await t.transfer.clear();
  await t.meta.remove(KEY_CHECK_META);
  await t.meta.remove(AUTHORITY_MARK);
  return audit;
}

function inUse(db: string): SiteBackupError {
  return new SiteBackupError(
    `database ${db} already holds users, tokens, counts, audit rows or another key's check; nothing was written (--force replaces what it holds)`,
    'target-in-use',
  );
}

function keyFileHolds(path: string, raw: Buffer): 'same' | 'missing' | 'other' {
  try {
    return readRawKey(path).equals(raw) ? 'same' : 'other';
  } catch (err) {
    if (err instanceof KeyFileError && err.code === 'missing') return 'missing';
    throw err;
  }
}

function writeKey(path: string, present: 'missing' | 'other', raw: Buffer): void {
  if (present === 'other') {
    replaceMasterKey(path, raw);
    return;
  }
  // Another restore or init may have made one meanwhile: it must be this key.
  if (createMasterKey(path, raw) === null && !readRawKey(path).equals(raw))
    throw new SiteBackupError(
      `key file ${path} appeared meanwhile and holds another key; nothing was written to the database`,
      'other-key',
    );
}

/** The counts in one order, a backup's and a restore's alike. */
function countsOf(c: BackupCounts): BackupCounts {
  return {
    users: c.users,
    tokens: c.tokens,
    recovery_codes: c.recovery_codes,
    throttle: c.throttle,
    invitations: c.invitations,
    roles: c.roles,
    api_tokens: c.api_tokens,
    audit: c.audit,
  };
}

function rowsIn(c: Content): BackupCounts {
  return {
    users: c.users.length,
    tokens: c.tokens.length,
    recovery_codes: c.recovery_codes.length,
    throttle: c.throttle.length,
    invitations: c.invitations.length,
    roles: c.roles.length,
    api_tokens: c.api_tokens.length,
    audit: c.audit?.length ?? null,
  };
}

/** Buffers (sealed secrets) as {"base64": ...}: JSON has no bytes. */
function encodeBuffers(this: unknown, k: string, v: unknown): unknown {
  const own = (this as Record<string, unknown>)[k];
  return Buffer.isBuffer(own) ? { base64: own.toString('base64') } : v;
}

function decodeBuffers(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'base64' && typeof (v as { base64: unknown }).base64 === 'string')
      return Buffer.from((v as { base64: string }).base64, 'base64');
  }
  return v;
}

/** The authenticated content, checked to be one this astotp can restore. */
function readContent(plain: Buffer, name: string): Content {
  const bad = (why: string) => new SiteBackupError(`${name} cannot be restored: ${why}; nothing was written`, 'unusable-content');
  let c: Content;
  try {
    c = JSON.parse(gunzipSync(plain).toString('utf8'), decodeBuffers) as Content;
  } catch {
    throw bad('its content is not a backup');
  }
  if (c?.astotp_backup !== 1) throw bad('its content is not a backup');
  if (typeof c.schema !== 'number' || c.schema > SCHEMA_VERSION)
    throw bad(
      `it was made with schema ${c.schema} by a newer astotp (this one has schema ${SCHEMA_VERSION}); restore it with that astotp or a newer one`,
    );
  if (!Buffer.isBuffer(c.key) || c.key.length !== 32) throw bad('it holds no key');
  const rows = <R>(table: string, list: unknown, columns: readonly string[]): R[] => {
    if (!Array.isArray(list)) throw bad(`it holds no ${table} table`);
    return list.map((r) => {
      const row = { ...COLUMN_DEFAULTS[table], ...(r as object) } as Record<string, unknown>;
      const missing = columns.find((col) => !(col in row));
      if (missing !== undefined) throw bad(`its ${table} rows lack column ${missing}`);
      return row as R;
    });
  };
  return {
    ...c,
    users: rows('users', c.users, USER_COLUMNS),
    tokens: rows('tokens', c.tokens, TOKEN_COLUMNS),
    recovery_codes: rows('recovery_codes', c.recovery_codes, RECOVERY_CODE_COLUMNS),
    throttle: rows('throttle', c.throttle, THROTTLE_COLUMNS),
    invitations: rows('invitations', c.invitations, INVITATION_COLUMNS),
    audit: c.audit === null ? null : rows('audit', c.audit, AUDIT_FIELDS),
    // A backup made before the authority's tables has none of them.
    authority: c.schema < AUTHORITY_SCHEMA ? false : c.authority === true,
    roles: c.schema < AUTHORITY_SCHEMA ? [] : rows('roles', c.roles, ROLE_COLUMNS),
    api_tokens: c.schema < AUTHORITY_SCHEMA ? [] : rows('api_tokens', c.api_tokens, API_TOKEN_COLUMNS),
  };
}
