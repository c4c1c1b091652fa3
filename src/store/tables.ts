// What the store holds and what can be done with it, the same for every
// adapter (SQLite, PostgreSQL). Rows only: what they mean is the auth layer's.
// Secrets arrive sealed and PINs hashed: no adapter ever sees a plaintext secret.
import type { Algorithm } from '../totp/algorithm.js';

export interface UserRow {
  id: string;
  pin_hash: string | null;
  enabled: number;
  failures: number;
  locked_until: number | null;
  last_success: number | null;
  created_at: number;
  updated_at: number;
  /** What the user is called, their mail address and language (schema 5; null on rows older astotp wrote). */
  display_name: string | null;
  email: string | null;
  language: string | null;
  /** Failures with the right PIN since the last login, and the locks they escalated (schema 6; auth/lockout.ts). */
  pin_streak: number;
  lock_level: number;
}

/**
 * A users row as stored. Up to schema 5 the user's app secret lived here;
 * since tokens it lives in the tokens table (the app token, `app:USER`), and
 * these columns are no longer read: rows keep what they held when the
 * database was upgraded, new rows get LEGACY_SECRET_COLUMNS. Only the
 * whole-row copy (TransferTable) moves them, so that a copy is the original.
 */
export interface StoredUserRow extends UserRow {
  secret_box: Buffer;
  algorithm: Algorithm;
  digits: number;
  period: number;
  last_step: number | null;
}

/** What a users row made since tokens holds in the columns of the old app secret: nothing any key opens. */
export const LEGACY_SECRET_COLUMNS: Pick<StoredUserRow, 'secret_box' | 'algorithm' | 'digits' | 'period' | 'last_step'> = {
  secret_box: Buffer.alloc(0),
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  last_step: null,
};

/** The facts about a user that are not about logging in: who they are and how to reach them. */
export type UserProfile = Pick<UserRow, 'display_name' | 'email' | 'language'>;

export type NewUser = Pick<UserRow, 'id' | 'pin_hash'> & Partial<UserProfile>;

export interface UsersTable {
  /** Inside exclusive(): the row stays locked until the transaction ends. */
  get(id: string): Promise<UserRow | undefined>;
  list(): Promise<UserRow[]>;
  count(): Promise<number>;
  insert(u: NewUser): Promise<void>;
  setPin(id: string, pin_hash: string | null): Promise<boolean>;
  setEnabled(id: string, enabled: boolean): Promise<boolean>;
  /** Replaces the profile fields given (undefined: kept); false when there is no such user. */
  setProfile(id: string, p: Partial<UserProfile>): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  /** A login: when it was. What it used up is the token's (TokensTable.use) or the recovery code's; the failure counter is lockout's. */
  recordLogin(id: string, at: number): Promise<void>;
}

/**
 * app: the TOTP secret of the user's authenticator app (serial `app:USER`);
 * totp and hotp: a key fob (RFC 6238 time-based, RFC 4226 event-based).
 */
type TokenKind = 'app' | 'totp' | 'hotp';

/** A user's token, or a fob nobody holds yet (user_id null), as stored: its secret sealed (auth/tokens.ts). */
export interface TokenRow {
  serial: string;
  kind: TokenKind;
  user_id: string | null;
  secret_box: Buffer;
  algorithm: Algorithm;
  digits: number;
  /** Seconds per time step (app, totp); null for hotp. */
  period: number | null;
  /** hotp: the lowest counter value a code may still have; null for app and totp. */
  counter: number | null;
  /** app, totp: the newest time step a code was accepted for (the replay mark); null while none was. */
  last_step: number | null;
  /** totp: steps the fob's clock is off from this site's, learned from logins or set by resync. */
  drift: number;
  enabled: number;
  last_used: number | null;
  created_at: number;
  updated_at: number;
}

export type NewToken = Omit<TokenRow, 'enabled' | 'last_used' | 'last_step' | 'drift'> & Partial<Pick<TokenRow, 'last_step' | 'drift'>>;

/** A new token's row as stored: enabled, never used. */
export function newTokenRow(t: NewToken): TokenRow {
  return { last_step: null, drift: 0, ...t, enabled: 1, last_used: null };
}

/**
 * Where a token stands after a code of it was used: a TOTP token's step (and
 * its fob's drift), an HOTP token's next counter value.
 */
export type TokenPosition = { step: number; drift: number } | { counter: number };

export interface TokensTable {
  /** Inside exclusive(): the row stays locked until the transaction ends. */
  get(serial: string): Promise<TokenRow | undefined>;
  /** The user's tokens, the app token first, then by serial; locked as get(). */
  ofUser(user: string): Promise<TokenRow[]>;
  /** Every token (of `user` only, when given), by serial. */
  list(user?: string): Promise<TokenRow[]>;
  insert(t: NewToken): Promise<void>;
  remove(serial: string): Promise<boolean>;
  /** A new holder (null: none) with the secret sealed for it. */
  assign(serial: string, user: string | null, secret_box: Buffer): Promise<boolean>;
  setEnabled(serial: string, enabled: boolean): Promise<boolean>;
  /** A new secret (the app token of a new phone): replay mark and drift start over. */
  replaceSecret(serial: string, secret_box: Buffer, p: Pick<TokenRow, 'algorithm' | 'digits' | 'period'>): Promise<boolean>;
  /**
   * A code was used: the token moves to `to`, only forward (a later step, a
   * higher counter); false when it already stood there or beyond (another
   * call used the code first), and then nothing changes.
   */
  use(serial: string, to: TokenPosition, at: number): Promise<boolean>;
  /** Resynchronisation: the token stands at `to`, wherever it stood. */
  moveTo(serial: string, to: TokenPosition): Promise<boolean>;
}

/** A user's recovery code as stored: its HMAC, never the code (auth/recovery-code-rules.ts). */
export interface RecoveryCodeRow {
  user_id: string;
  hash: string;
  /** null while unused; a used code is kept so that typing it again can be told apart in the audit log. */
  used_at: number | null;
  created_at: number;
}

/** Recovery codes; they live and die with their user (removing the user removes them). */
export interface RecoveryCodesTable {
  /** The user's new set: every older code, used or not, is gone. The user must exist. */
  replace(user: string, hashes: string[], at: number): Promise<void>;
  /** When the user's code was used: null while unused, undefined when the user has no such code. */
  usedAt(user: string, hash: string): Promise<number | null | undefined>;
  /** Uses up an unused code; false when it was used meanwhile or never was the user's. */
  use(user: string, hash: string, at: number): Promise<boolean>;
  /** Unused codes per user; users without any are missing. */
  left(users?: string[]): Promise<Map<string, number>>;
}

/**
 * pending until the user enrolled through it (used), the admin revoked it,
 * a newer invitation for the same user replaced it, or too many wrong
 * activation codes made it void. An expired one is still
 * pending in the table: expiry is a matter of the clock (expires_at).
 */
export type InvitationState = 'pending' | 'used' | 'revoked' | 'void' | 'replaced';

/** An invitation to enrol as user_id, as stored: hashes of its token and activation code, never either. */
export interface InvitationRow extends UserProfile {
  id: number;
  user_id: string;
  token_hash: string;
  /** null when the invitation needs no activation code. */
  activation_hash: string | null;
  wrong_codes: number;
  state: InvitationState;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  /** Who made it, as the audit row names them. */
  created_by: string | null;
}

export type NewInvitation = Omit<InvitationRow, 'id' | 'wrong_codes' | 'state' | 'ended_at'>;

/** Invitations, kept after they end so that astotp invites can show what became of each. */
export interface InvitationsTable {
  add(i: NewInvitation): Promise<number>;
  /** Inside exclusive(): the row stays locked until the transaction ends. */
  byTokenHash(hash: string): Promise<InvitationRow | undefined>;
  get(id: number): Promise<InvitationRow | undefined>;
  /** The user's pending invitation (at most one; expired or not); locked as byTokenHash. */
  pendingFor(user: string): Promise<InvitationRow | undefined>;
  /** Newest first. */
  list(): Promise<InvitationRow[]>;
  /** Ends a pending invitation; false when it was no longer pending. */
  end(id: number, state: Exclude<InvitationState, 'pending'>, at: number): Promise<boolean>;
  setWrongCodes(id: number, n: number): Promise<void>;
}

/**
 * A web server's session, stored by the hash of the random value its cookie
 * holds (the value itself is never stored), so that every web server on the
 * database knows it and a copied database opens none.
 */
export interface WebSessionRow {
  id_hash: string;
  /** What the session is for: 'enrol' (an invitation traded for it), 'account' (a user logged in). */
  kind: string;
  user_id: string;
  invitation_id: number | null;
  /** A secret made for the session, sealed (enrolment, a move to a new phone: the one the new app holds). */
  secret_box: Buffer | null;
  /** Facts of the kind, as JSON (enrolment: the new secret's code parameters). */
  data: string | null;
  created_at: number;
  seen_at: number;
  expires_at: number;
}

export interface WebSessionsTable {
  add(s: WebSessionRow): Promise<void>;
  get(idHash: string): Promise<WebSessionRow | undefined>;
  remove(idHash: string): Promise<boolean>;
  /** A session's fields that change while it lives; false when there is no such session. */
  update(idHash: string, s: Pick<WebSessionRow, 'seen_at' | 'expires_at' | 'secret_box' | 'data'>): Promise<boolean>;
  /** Every session of the user, of every kind (an account's, an approver's...: when the user's PIN or secret changes). */
  removeForUser(user: string): Promise<number>;
  /** Every session traded for the invitation: only the newest browser may go on. */
  removeForInvitation(invitationId: number): Promise<number>;
  /** Sessions whose time is up, so that the table holds only live ones. */
  removeExpired(now: number): Promise<number>;
}

/**
 * Failure counters, stored as failures + locked_until; a user's also the
 * right-PIN streak and the lock level it escalated (auth/lockout.ts), which
 * the throttle table, counting logins without a PIN, neither holds nor writes.
 */
export interface CounterRow {
  failures: number;
  locked_until: number | null;
  pin_streak?: number;
  lock_level?: number;
}

export interface Counters {
  /** Inside exclusive(): the counter stays locked until the transaction ends, also one not yet written. */
  get(id: string): Promise<CounterRow | undefined>;
  /** Writes the counter; false when there is nothing to hold it (no such user). */
  put(id: string, c: CounterRow, at: number): Promise<boolean>;
  /** Back to no failures and no lock. Returns whether there was a counter. */
  clear(id: string, at: number): Promise<boolean>;
}

/** Counters of logins without a users row (pbotp): a row exists only while there is something to count. */
export interface ThrottleTable extends Counters {
  /** The ids that start with prefix, found through the key's order: runs on every pbotp try, so it must not scan. */
  idsStartingWith(prefix: string): Promise<string[]>;
  /** Moves a row to another id, adding its failures to a row already there and keeping the later lock. */
  rename(from: string, to: string): Promise<void>;
}

export interface AuditEntry {
  at: number;
  user: string | null;
  caller_id: string | null;
  channel: string | null;
  uniqueid: string | null;
  /** agi, cli, simulate, fastagi */
  source: string;
  result: 'SUCCESS' | 'FAILURE';
  /** The reason the dialplan saw. */
  reason: string;
  /** What only the admin should know, e.g. which factor was wrong. */
  detail: string | null;
  /** The PBX that wrote the row (pbx_name, else its host name); null on rows older astotp wrote. */
  pbx: string | null;
}

export interface AuditQuery {
  /** Rows for any of these user names. */
  users?: string[];
  since?: number;
  pbx?: string;
  /** Rows of any of these sources, e.g. ['admin']. */
  sources?: string[];
  limit?: number;
}

export interface AuditTable {
  add(e: AuditEntry): Promise<void>;
  /** Newest last, like a log file. */
  list(q?: AuditQuery): Promise<AuditEntry[]>;
}

/** The few facts kept beside the tables (the key check, schema compatibility). */
export interface MetaTable {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** false when there was no such key. */
  remove(key: string): Promise<boolean>;
}

/**
 * What an authority's user may do (schema 8): approve pbotp logins of these
 * device groups, on hosts matching these patterns (null: any host). Only an
 * authority's database holds rows (auth/authority-admin.ts); a PBX's has none.
 */
export interface RoleRow {
  user_id: string;
  role: 'approver';
  /** Group names, comma-separated (a pbotp name has no comma). */
  group_names: string;
  /** Host patterns (* for any characters), comma-separated; null for every host. */
  host_patterns: string | null;
  created_at: number;
  updated_at: number;
}

/** Roles; they live and die with their user (removing the user removes them). */
export interface RolesTable {
  get(user: string): Promise<RoleRow | undefined>;
  /** By user ID. */
  list(): Promise<RoleRow[]>;
  /** Sets the user's role (the user must exist); created_at stays when there was one. */
  put(r: RoleRow): Promise<void>;
  remove(user: string): Promise<boolean>;
}

/** An approver's API token as stored (schema 8): the hash of its value, never the value. */
export interface ApiTokenRow {
  id: number;
  user_id: string;
  token_hash: string;
  label: string | null;
  created_at: number;
  /** Who made it, as the audit row names them. */
  created_by: string | null;
  last_used: number | null;
  /** null while it works. */
  revoked_at: number | null;
}

export type NewApiToken = Omit<ApiTokenRow, 'id' | 'last_used' | 'revoked_at'>;

/** API tokens, kept after they are revoked so that the list shows what became of each; they go with their user. */
export interface ApiTokensTable {
  add(t: NewApiToken): Promise<number>;
  byHash(hash: string): Promise<ApiTokenRow | undefined>;
  get(id: number): Promise<ApiTokenRow | undefined>;
  /** Oldest first. */
  list(): Promise<ApiTokenRow[]>;
  /** Ends a working token; false when there is none or it was revoked already. */
  revoke(id: number, at: number): Promise<boolean>;
  used(id: number, at: number): Promise<void>;
}

/** A throttle row as stored, for copying a store. */
export interface ThrottleRow extends CounterRow {
  id: string;
  updated_at: number;
}

/** An audit row as stored, with the key that orders it. */
export interface AuditRow extends AuditEntry {
  id: number;
}

/**
 * Whole rows as they are, for `astotp migrate`: nothing is interpreted, so
 * counters, replay marks and times arrive exactly as they left. `astotp
 * import` writes its new rows through putUsers and putAudit too: in batches,
 * one round trip per thousands of rows on PostgreSQL.
 */
export interface TransferTable {
  /** Whether the tables hold no row at all (meta aside). */
  isEmpty(): Promise<boolean>;
  /** Deletes every user (with its tokens and recovery codes), unassigned token, throttle and audit row (migrate --force onto a used target). */
  clear(): Promise<void>;
  users(): Promise<StoredUserRow[]>;
  putUsers(rows: StoredUserRow[]): Promise<void>;
  tokens(): Promise<TokenRow[]>;
  /** After putUsers: an assigned token needs its user. */
  putTokens(rows: TokenRow[]): Promise<void>;
  throttle(): Promise<ThrottleRow[]>;
  putThrottle(rows: ThrottleRow[]): Promise<void>;
  recoveryCodes(): Promise<RecoveryCodeRow[]>;
  /** After putUsers: a code needs its user. */
  putRecoveryCodes(rows: RecoveryCodeRow[]): Promise<void>;
  /** Oldest first, the rows after id `after`. */
  auditPage(after: number, limit: number): Promise<AuditRow[]>;
  /** Appended in the order given; the target numbers them itself. */
  putAudit(rows: AuditEntry[]): Promise<void>;
  /** Every invitation, pending or ended, oldest first (web sessions are not copied: they last minutes). */
  invitations(): Promise<InvitationRow[]>;
  /** Their ids are the target's own. */
  putInvitations(rows: InvitationRow[]): Promise<void>;
  /** An authority's approvers and their API tokens (schema 8). */
  roles(): Promise<RoleRow[]>;
  /** After putUsers: a role needs its user. */
  putRoles(rows: RoleRow[]): Promise<void>;
  /** Oldest first. */
  apiTokens(): Promise<ApiTokenRow[]>;
  /** After putUsers; their ids are the target's own. */
  putApiTokens(rows: ApiTokenRow[]): Promise<void>;
  counts(): Promise<TransferCounts>;
}

export interface TransferCounts {
  users: number;
  tokens: number;
  recovery_codes: number;
  throttle: number;
  audit: number;
  invitations: number;
  roles: number;
  api_tokens: number;
}

/**
 * The columns a whole-row copy (TransferTable) reads and writes, the same on
 * every adapter: a column added to a table is added here once.
 */
export const USER_COLUMNS: readonly (keyof StoredUserRow)[] = [
  'id',
  'pin_hash',
  'secret_box',
  'algorithm',
  'digits',
  'period',
  'enabled',
  'failures',
  'locked_until',
  'last_step',
  'last_success',
  'created_at',
  'updated_at',
  'display_name',
  'email',
  'language',
  'pin_streak',
  'lock_level',
];
/** An invitation's columns but its id, which each database numbers itself. */
export const INVITATION_COLUMNS: readonly (keyof InvitationRow)[] = [
  'user_id',
  'token_hash',
  'display_name',
  'email',
  'language',
  'activation_hash',
  'wrong_codes',
  'state',
  'created_at',
  'expires_at',
  'ended_at',
  'created_by',
];
export const TOKEN_COLUMNS: readonly (keyof TokenRow)[] = [
  'serial',
  'kind',
  'user_id',
  'secret_box',
  'algorithm',
  'digits',
  'period',
  'counter',
  'last_step',
  'drift',
  'enabled',
  'last_used',
  'created_at',
  'updated_at',
];
export const RECOVERY_CODE_COLUMNS: readonly (keyof RecoveryCodeRow)[] = ['user_id', 'hash', 'used_at', 'created_at'];
export const THROTTLE_COLUMNS: readonly (keyof ThrottleRow)[] = ['id', 'failures', 'locked_until', 'updated_at'];
export const ROLE_COLUMNS: readonly (keyof RoleRow)[] = ['user_id', 'role', 'group_names', 'host_patterns', 'created_at', 'updated_at'];
/** An API token's columns but its id, which each database numbers itself. */
export const API_TOKEN_COLUMNS: readonly (keyof ApiTokenRow)[] = [
  'user_id',
  'token_hash',
  'label',
  'created_at',
  'created_by',
  'last_used',
  'revoked_at',
];

/** Every value of `row` under `columns`, in their order, for an INSERT. */
export function valuesOf<R>(row: R, columns: readonly (keyof R)[]): unknown[] {
  return columns.map((c) => row[c]);
}

/** Everything one transaction can reach. */
/** When each kind of notice last went to each user: at most one per hour per user and kind, across PBXs. */
export interface NoticesTable {
  /**
   * Takes the right to send a notice of `kind` to `user` at `at`, when none
   * was sent in the `intervalSeconds` before: true and recorded, or false.
   * False also for a user that does not exist.
   */
  claim(user: string, kind: string, at: number, intervalSeconds: number): Promise<boolean>;
}

export interface StoreTx {
  readonly users: UsersTable;
  readonly tokens: TokensTable;
  /** The users' failure counters; the throttle table has the same API for pbotp's. */
  readonly userCounters: Counters;
  readonly throttle: ThrottleTable;
  readonly recoveryCodes: RecoveryCodesTable;
  readonly audit: AuditTable;
  readonly meta: MetaTable;
  readonly transfer: TransferTable;
  readonly invitations: InvitationsTable;
  readonly webSessions: WebSessionsTable;
  readonly notices: NoticesTable;
  readonly roles: RolesTable;
  readonly apiTokens: ApiTokensTable;
}

/** The keys that start with prefix as [from, to) in the keys' byte order; to is null when nothing bounds them. */
export function prefixRange(prefix: string): [string, string | null] {
  if (prefix === '') return ['', null];
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)];
}

/** Typed input and channel names are untrusted: every adapter keeps audit rows bounded. */
export function clip(v: string | null): string | null {
  return v === null ? null : v.slice(0, 80);
}
