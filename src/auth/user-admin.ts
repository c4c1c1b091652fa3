// The one way users are changed, whoever changes them: the admin CLI today, a
// web page or a phone call next. Each change is one transaction with its audit
// row (admin-audit.ts), made by an Actor; secrets are sealed and opened, PINs
// hashed and recovery codes stored here and in no entry point. The rules an
// entry point checks its input by before it asks for more (a user ID, a PIN)
// are here too, so every entry point refuses the same things.
import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import {
  LEGACY_SECRET_COLUMNS,
  type NewToken,
  newTokenRow,
  type StoredUserRow,
  type StoreTx,
  type TokenPosition,
  type TokenRow,
  type UserProfile,
  type UserRow,
} from '../store/tables.js';
import type { Algorithm } from '../totp/algorithm.js';
import { type Actor, type AdminAction, adminEntry, type AuditPlace, recordAdminAction, recordAdminActions } from './admin-audit.js';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';
import type { AccountEvent } from './account-events.js';
import { Lockout } from './lockout.js';
import type { MasterKey } from './master-key.js';
import { pbotpThrottleId, rekeyTypedIds } from './pbotp-verifier.js';
import { invitationStatus, type InvitationStatus } from './invitations.js';
import { hashPin, hashPins } from './pin-hash.js';
import { newRecoveryCodes, recoveryCodeRows, storeRecoveryCodes } from './recovery-code-rules.js';
import { endUserSessions } from './session-ends.js';
import { appSerial, appTokenUser, MAX_TOKENS_PER_USER, openTokenSecret, resyncPosition, sealTokenSecret, tokenLabel } from './tokens.js';
import { checkCode, normaliseCode, type TotpParams } from './totp.js';

const USER_ID = /^[0-9A-Za-z+_.@-]{1,64}$/;
/** What a user ID may be, as messages say it. */
export const USER_ID_RULE = '1 to 64 letters, digits and + _ . @ -';
export const PIN_MIN_DIGITS = 4;

export function isUserId(id: string): boolean {
  return USER_ID.test(id);
}

/**
 * - bad-pin: the PIN breaks the site's rules;
 * - exists: the user was created by someone else while this change was prepared;
 * - unreadable-secret: a stored secret does not open with this key file;
 * - invitation-ended: the invitation an enrolment came through is no longer
 *   pending (used, expired, revoked, replaced, void), or its session is over;
 * - no-token: no token has that serial (or, app:USER, no such user has an app);
 * - token-taken: the token is another user's (or, importing, its serial is taken);
 * - too-many-tokens: the user holds MAX_TOKENS_PER_USER already;
 * - token-digits: the token's codes are longer than a call takes (digits);
 * - app-token: an app token is its user's and cannot change hands;
 * - no-such-user: the user to give a token to does not exist;
 * - not-resynced: the two codes are not consecutive codes of the token within the resync window.
 */
export type UserAdminProblem =
  | 'bad-pin'
  | 'exists'
  | 'unreadable-secret'
  | 'invitation-ended'
  | 'no-token'
  | 'token-taken'
  | 'too-many-tokens'
  | 'token-digits'
  | 'app-token'
  | 'no-such-user'
  | 'not-resynced';

export class UserAdminError extends AuthError {
  declare readonly code: UserAdminProblem;

  constructor(
    message: string,
    code: UserAdminProblem,
    /** With invitation-ended: what became of the invitation ('session' when only the session is over). */
    readonly ended?: Exclude<InvitationStatus, 'pending'> | 'session',
  ) {
    super(message, code);
    this.name = 'UserAdminError';
  }
}

/** The PIN's rules, pin_max_digits being the site's; the message never repeats what was typed. */
export function checkPin(pin: string, maxDigits: number): string {
  if (!/^\d+$/.test(pin) || pin.length < PIN_MIN_DIGITS || pin.length > maxDigits) {
    throw new UserAdminError(`a PIN must be ${PIN_MIN_DIGITS} to ${maxDigits} digits`, 'bad-pin');
  }
  return pin;
}

declare const confirmed: unique symbol;

/**
 * A new secret ready to be saved: proved by a code from the user's app
 * (confirmEnrollment), or taken unproved because the admin said so
 * (unconfirmedSecret). Only this module makes one.
 */
export interface ConfirmedSecret {
  readonly params: TotpParams;
  /** The time step of the code that proved it, used up by the save so that code cannot open a call; null when unproved. */
  readonly step: number | null;
  readonly [confirmed]: true;
}

/** A fob the user is enrolled with instead of an app: its serial, in the tokens table already (import --pskc put it there). */
export interface FobToken {
  readonly fob: string;
}

/** A key fob of an import (a PSKC file), read and checked by the entry point; its secret in base32. */
export interface ImportedToken {
  serial: string;
  kind: 'totp' | 'hotp';
  secret: string;
  algorithm: Algorithm;
  digits: 6 | 8;
  /** totp: seconds per step; null for hotp. */
  period: number | null;
  /** hotp: the counter value of the next code; null for totp. */
  counter: number | null;
  /** totp: steps the fob's clock is off, as the file says. */
  drift: number;
  /** Who gets it (import --assign); null: nobody yet. */
  user: string | null;
  /** Where it came from, named in its audit row and errors: "tokens.xml key package 3 (line 12)". */
  where: string;
}

/** One user of an import, read and checked by the entry point. */
export interface ImportedUser {
  id: string;
  pin: string | null;
  params: TotpParams;
  /** One-time codes the user already holds on paper (a google-authenticator file's scratch codes): they become its recovery codes. */
  ownRecoveryCodes: readonly string[];
  /** Where the user came from, named in its audit row: "users.csv line 3". */
  where: string;
  profile: Partial<UserProfile>;
}

/** An enrolment through an invitation link: the web session it was traded for, and the invitation. */
export interface InvitedEnrolment {
  sessionHash: string;
  invitationId: number;
  user: string;
  /** The user's language when the invitation names none: the one the pages were read in. */
  language: string | null;
}

/** The settings the service's rules and rows are made of. */
export type UserAdminSettings = Pick<
  Settings,
  'pbxName' | 'pinMaxDigits' | 'window' | 'lockoutFailures' | 'lockoutMinutes' | 'keyFile' | 'digits'
>;

export class UserAdmin {
  private readonly place: AuditPlace;

  constructor(
    private readonly auth: { store: Store; key: MasterKey; now: Clock },
    private readonly rules: UserAdminSettings,
    /** Told of the events a committed change makes (a new PIN or secret), for the notices; never allowed to fail it. */
    private readonly onEvents: (events: AccountEvent[]) => void = () => {},
  ) {
    this.place = { pbx: rules.pbxName, now: auth.now };
  }

  /** After the commit: whoever looks after the account hears of the change. */
  private told(kind: 'pin-changed' | 'secret-changed', actor: Actor, id: string): void {
    try {
      this.onEvents([{ kind, user: id, at: this.auth.now(), source: actor.source, pbx: this.rules.pbxName }]);
    } catch {
      // A notice is no part of the change.
    }
  }

  /** The code the app shows now for a new, unsaved secret (spaced or not): the secret's proof, or null when it is not that code. */
  confirmEnrollment(params: TotpParams, code: string): ConfirmedSecret | null {
    const check = checkCode(params, normaliseCode(code), { window: this.rules.window, afterStep: null });
    return check.valid ? this.secret(params, check.timeStep) : null;
  }

  /** A new secret saved without proof that the phone holds it: the admin's choice (enroll --no-confirm), never a user's. */
  unconfirmedSecret(params: TotpParams): ConfirmedSecret {
    return this.secret(params, null);
  }

  /**
   * A new user, or with `replace` a new row for an existing one (the old row,
   * its counters, app and recovery codes go; its fobs are nobody's again).
   * Its second factor is an app's new secret, or a fob from the tokens table
   * (`{ fob: SERIAL }`, nobody's yet). `recoveryCodes` become its set (made
   * with newRecoveryCodes, shown to the user by the caller). Returns whether a
   * user was replaced; throws UserAdminError('exists') when one exists without `replace`.
   */
  async enroll(
    actor: Actor,
    id: string,
    secret: ConfirmedSecret | FobToken,
    opts: { pin: string | null; recoveryCodes: readonly string[]; replace: boolean; profile?: Partial<UserProfile> },
  ): Promise<{ replaced: boolean }> {
    const { store, key } = this.auth;
    const pinHash = await this.pinHash(id, opts.pin);
    const replaced = await store.exclusive(async (t) => {
      const existed = (await t.users.get(id)) !== undefined;
      if (existed && !opts.replace)
        throw new UserAdminError(`user ${id} was created by someone else meanwhile; nothing was saved`, 'exists');
      const released = existed ? await this.releaseFobs(t, id) : [];
      if (existed) {
        await endUserSessions(t, id);
        await t.users.remove(id);
      }
      await t.users.insert({ id, pin_hash: pinHash, ...opts.profile });
      if ('fob' in secret) await this.assignIn(t, secret.fob, id);
      else await t.tokens.insert(this.appToken(id, secret));
      await storeRecoveryCodes(t, key.recoveryPepper, id, opts.recoveryCodes, this.auth.now());
      // Enrolled by hand: an invitation for the ID would only lead to "exists" now.
      const invitation = await t.invitations.pendingFor(id);
      if (invitation) {
        await t.invitations.end(invitation.id, 'replaced', this.auth.now());
        await t.webSessions.removeForInvitation(invitation.id);
      }
      const note = [
        existed ? 'replaced' : '',
        released.length ? `${released.join(', ')} nobody's now` : '',
        'fob' in secret ? `token ${secret.fob}` : '',
        pinHash === null ? 'no PIN' : '',
        invitation ? 'invitation ended' : '',
      ]
        .filter(Boolean)
        .join(', ');
      await recordAdminAction(t, actor, this.place, 'enroll', id, note);
      return existed;
    });
    return { replaced };
  }

  /**
   * A new user made through an invitation link, in one transaction: the
   * session it was traded for must still be live and the invitation still
   * pending (else UserAdminError 'invitation-ended', saying which), the ID
   * still free ('exists'); the user gets the invitation's name, address and
   * language, the invitation is used up and its sessions end, and the audit
   * row names the actor (source web). Neither PIN nor secret is recorded.
   */
  async enrollInvited(
    actor: Actor,
    e: InvitedEnrolment,
    secret: ConfirmedSecret,
    opts: { pin: string | null; recoveryCodes: readonly string[] },
  ): Promise<void> {
    const { store, key } = this.auth;
    const pinHash = await this.pinHash(e.user, opts.pin);
    await store.exclusive(async (t) => {
      const now = this.auth.now();
      const session = await t.webSessions.get(e.sessionHash);
      const inv = await t.invitations.get(e.invitationId);
      if (!session || session.expires_at <= now || session.invitation_id !== e.invitationId || !inv || inv.user_id !== e.user)
        throw new UserAdminError('the enrolment session is over; open the invitation link again', 'invitation-ended', 'session');
      const status = invitationStatus(inv, now);
      if (status !== 'pending') throw new UserAdminError(`the invitation of ${e.user} is ${status}`, 'invitation-ended', status);

      if (await t.users.get(e.user))
        throw new UserAdminError(`user ${e.user} was enrolled by someone else meanwhile; nothing was saved`, 'exists');
      await t.users.insert({
        id: e.user,
        pin_hash: pinHash,
        display_name: inv.display_name,
        email: inv.email,
        language: inv.language ?? e.language,
      });
      await t.tokens.insert(this.appToken(e.user, secret));
      await storeRecoveryCodes(t, key.recoveryPepper, e.user, opts.recoveryCodes, now);
      await t.invitations.end(inv.id, 'used', now);
      await t.webSessions.removeForInvitation(inv.id);
      const note = ['invitation', pinHash === null ? 'no PIN' : ''].filter(Boolean).join(', ');
      await recordAdminAction(t, actor, this.place, 'enroll', e.user, note);
    });
  }

  /** New name, address or language (undefined fields stay, null clears); false when there is no such user. */
  setProfile(actor: Actor, id: string, profile: Partial<UserProfile>): Promise<boolean> {
    const changed = (['display_name', 'email', 'language'] as const).filter((f) => profile[f] !== undefined);
    const note = changed.map((f) => (profile[f] === null ? `${f} cleared` : f)).join(', ');
    return this.change(actor, 'set', id, (t) => t.users.setProfile(id, profile), note || undefined);
  }

  /**
   * The user's new app secret (a new phone), or its first app when it holds
   * only fobs. The old one works until this commits, which is after the new
   * one was proved; the PIN, the fobs, the recovery codes and the counters
   * stay, and so does whether the app token is enabled; every web session of
   * the user ends. False when there is no such user, or `still` (what must
   * hold in the same transaction, e.g. that the web login the new secret was
   * shown in is live) says no.
   */
  async replaceSecret(actor: Actor, id: string, secret: ConfirmedSecret, still?: (t: StoreTx) => Promise<boolean>): Promise<boolean> {
    const { params, step } = secret;
    const serial = appSerial(id);
    const box = sealTokenSecret(this.auth.key.secretKey, serial, id, params.secret);
    const replaced = await this.change(actor, 'reset', id, async (t) => {
      if (still && !(await still(t))) return false;
      if (!(await t.users.get(id))) return false;
      if (await t.tokens.replaceSecret(serial, box, params)) {
        if (step !== null) await t.tokens.moveTo(serial, { step, drift: 0 });
      } else {
        await this.roomFor(t, id);
        await t.tokens.insert(this.appToken(id, secret));
      }
      await endUserSessions(t, id);
      return true;
    });
    if (replaced) this.told('secret-changed', actor, id);
    return replaced;
  }

  /** A new PIN, or none (null); false when there is no such user. */
  async setPin(actor: Actor, id: string, pin: string | null): Promise<boolean> {
    const hash = await this.pinHash(id, pin);
    const changed = await this.change(
      actor,
      'set-pin',
      id,
      ended(id, (t) => t.users.setPin(id, hash)),
      pin === null ? 'no PIN' : undefined,
    );
    if (changed) this.told('pin-changed', actor, id);
    return changed;
  }

  /** Ends every web login of the user ("log out everywhere"); false when there is no such user. */
  endSessions(actor: Actor, id: string): Promise<boolean> {
    return this.change(
      actor,
      'end-sessions',
      id,
      ended(id, async (t) => (await t.users.get(id)) !== undefined),
    );
  }

  /** `count` new recovery codes, to be shown once; every older code stops working. Null when there is no such user. */
  async renewRecoveryCodes(actor: Actor, id: string, count: number): Promise<string[] | null> {
    const codes = newRecoveryCodes(count);
    const note = `${codes.length} new code${codes.length === 1 ? '' : 's'}`;
    const made = await this.change(
      actor,
      'recovery',
      id,
      async (t) => {
        if (!(await t.users.get(id))) return false;
        await storeRecoveryCodes(t, this.auth.key.recoveryPepper, id, codes, this.auth.now());
        return true;
      },
      note,
    );
    return made ? codes : null;
  }

  /** Every call for the user fails until enable; false when there is no such user. */
  disable(actor: Actor, id: string): Promise<boolean> {
    return this.change(
      actor,
      'disable',
      id,
      ended(id, (t) => t.users.setEnabled(id, false)),
    );
  }

  enable(actor: Actor, id: string): Promise<boolean> {
    return this.change(actor, 'enable', id, (t) => t.users.setEnabled(id, true));
  }

  /**
   * Deletes the user with its app, PIN and recovery codes (the audit log
   * keeps its rows) and ends its web sessions; its fobs stay, nobody's.
   * False when there is no such user.
   */
  async remove(actor: Actor, id: string): Promise<boolean> {
    let released: string[] = [];
    const removed = await this.change(
      actor,
      'remove',
      id,
      async (t) => {
        if (!(await t.users.get(id))) return false;
        released = await this.releaseFobs(t, id);
        await endUserSessions(t, id);
        return t.users.remove(id);
      },
      () => (released.length ? `${released.join(', ')} nobody's now` : undefined),
    );
    return removed;
  }

  /**
   * Ends the lockout of the enrolled user `id` and of the pbotp logins with
   * that ID (those need no enrollment, so there may be no user row): which
   * of the two there was to clear. Nothing is recorded when neither.
   */
  unlock(actor: Actor, id: string): Promise<{ enrolled: boolean; pbotp: boolean }> {
    const { store, key } = this.auth;
    return store.exclusive(async (t) => {
      const now = this.auth.now();
      // A lock an earlier version stored under the typed ID is found under the hashed one after this.
      await rekeyTypedIds(t, key.idMask);
      const enrolled = await new Lockout(t.userCounters, this.rules).unlock(id, now);
      const pbotp = await new Lockout(t.throttle, this.rules).unlock(pbotpThrottleId(key.idMask, id), now);
      if (enrolled || pbotp) await recordAdminAction(t, actor, this.place, 'unlock', id, enrolled ? undefined : 'pbotp');
      return { enrolled, pbotp };
    });
  }

  /**
   * Many users in one transaction: all or none. PINs are hashed first, on
   * every thread of the pool, so calls never wait on the write behind them.
   * With `replace` existing users are replaced (new row: failures, lock and
   * recovery codes gone); without it one that exists is an error ('exists').
   * A user that brings no recovery codes of its own gets `recoveryCodes` new
   * ones, returned to be shown once. Returns the IDs replaced too.
   */
  async import(
    actor: Actor,
    users: readonly ImportedUser[],
    opts: { replace: boolean; recoveryCodes: number },
  ): Promise<{ replaced: Set<string>; newRecoveryCodes: Map<string, string[]> }> {
    const { store, key } = this.auth;
    for (const u of users) if (u.pin !== null) checkPin(u.pin, this.rules.pinMaxDigits);
    const hashes = await hashPins(key.pinPepper, users);
    const now = this.auth.now();
    const made = new Map(
      opts.recoveryCodes === 0
        ? []
        : users.filter((u) => u.ownRecoveryCodes.length === 0).map((u) => [u.id, newRecoveryCodes(opts.recoveryCodes)]),
    );
    // Each user's row is new (a replaced one was removed with its codes): its codes go in as new rows, in one batch.
    const codeRows = users.flatMap((u) => recoveryCodeRows(key.recoveryPepper, u.id, made.get(u.id) ?? u.ownRecoveryCodes, now));
    const rows: StoredUserRow[] = users.map((u, i) => ({
      ...LEGACY_SECRET_COLUMNS,
      id: u.id,
      pin_hash: hashes[i]!,
      enabled: 1,
      failures: 0,
      pin_streak: 0,
      lock_level: 0,
      locked_until: null,
      last_success: null,
      created_at: now,
      updated_at: now,
      display_name: u.profile.display_name ?? null,
      email: u.profile.email ?? null,
      language: u.profile.language ?? null,
    }));
    const apps: TokenRow[] = users.map((u) => newTokenRow(this.appToken(u.id, this.secret(u.params, null), now)));
    const replaced = await store.exclusive(async (t) => {
      // Read under the write lock: someone may have enrolled one of them since the caller looked.
      const present = new Set((await t.users.list()).map((u) => u.id));
      const clash = users.filter((u) => present.has(u.id));
      if (clash.length > 0 && !opts.replace)
        throw new UserAdminError(`user ${clash[0]!.id} (${clash[0]!.where}) was enrolled meanwhile; nothing was imported`, 'exists');
      // A user replaced under the same secret keeps its replay mark: a code it used may still be in its window.
      const appOf = new Map(apps.map((r) => [r.user_id, r]));
      const released = new Map<string, string[]>();
      for (const u of clash) {
        const old = await t.tokens.get(appSerial(u.id));
        if (old && openTokenSecret(key.secretKey, old) === u.params.secret) appOf.get(u.id)!.last_step = old.last_step;
        released.set(u.id, await this.releaseFobs(t, u.id));
        await t.users.remove(u.id);
      }
      for (const u of clash) await endUserSessions(t, u.id);
      await t.transfer.putUsers(rows);
      await t.transfer.putTokens(apps);
      await t.transfer.putRecoveryCodes(codeRows);
      const ids = new Set(clash.map((u) => u.id));
      const whereOf = new Map(users.map((u) => [u.id, u.where]));
      await recordAdminActions(
        t,
        actor,
        this.place,
        'import',
        users.map((u) => u.id),
        (id) => {
          const fobs = released.get(id) ?? [];
          return `${ids.has(id) ? 'replaced, ' : ''}${fobs.length ? `${fobs.join(', ')} nobody's now, ` : ''}from ${whereOf.get(id)}`;
        },
      );
      return ids;
    });
    return { replaced, newRecoveryCodes: made };
  }

  /** The user's app secret and its parameters in plain text (to set up another phone), recorded before they are returned; null when it has no app. */
  async revealSecret(actor: Actor, user: UserRow): Promise<TotpParams | null> {
    return this.auth.store.exclusive(async (t) => {
      const app = await t.tokens.get(appSerial(user.id));
      if (!app) return null;
      const params = this.open(app);
      await recordAdminAction(t, actor, this.place, 'show', user.id, 'secret revealed');
      return params;
    });
  }

  /**
   * The app secret of every one of `users`, in their order (null for a user
   * without an app: fobs are never revealed), for an export to `destination`
   * (undefined: standard output): one row recorded for all of them before
   * any is returned, and none returned unless all open.
   */
  async revealSecrets(actor: Actor, users: readonly UserRow[], destination: string | undefined): Promise<(TotpParams | null)[]> {
    return this.auth.store.exclusive(async (t) => {
      const apps = new Map((await t.tokens.list()).filter((k) => k.kind === 'app').map((k) => [k.user_id, k]));
      const secrets = users.map((u) => {
        const app = apps.get(u.id);
        return app ? this.open(app) : null;
      });
      const note = `secrets of ${users.length} user${users.length === 1 ? '' : 's'} revealed${destination === undefined ? '' : ` to ${destination}`}`;
      await recordAdminAction(t, actor, this.place, 'export', null, note);
      return secrets;
    });
  }

  /**
   * Fobs of a vendor's file, in one transaction: all or none. Each is
   * sealed for its serial and holder; a serial the database has already
   * is an error ('token-taken'), as is a holder that does not exist, one who
   * would hold more than MAX_TOKENS_PER_USER, or codes longer than a call
   * takes. One audit row per fob.
   */
  async importTokens(actor: Actor, tokens: readonly ImportedToken[]): Promise<void> {
    const { store, key } = this.auth;
    const now = this.auth.now();
    const rows: TokenRow[] = tokens.map((k) =>
      newTokenRow({
        serial: k.serial,
        kind: k.kind,
        user_id: k.user,
        secret_box: sealTokenSecret(key.secretKey, k.serial, k.user, k.secret),
        algorithm: k.algorithm,
        digits: k.digits,
        period: k.period,
        counter: k.counter,
        drift: k.drift,
        created_at: now,
        updated_at: now,
      }),
    );
    await store.exclusive(async (t) => {
      const all = await t.tokens.list();
      const taken = new Set(all.map((k) => k.serial));
      const clash = tokens.find((k) => taken.has(k.serial));
      if (clash)
        throw new UserAdminError(`token ${clash.serial} (${clash.where}) is in the database already; nothing was imported`, 'token-taken');
      const holders = [...new Set(tokens.flatMap((k) => (k.user === null ? [] : [k.user])))];
      const users = new Set((await t.users.list()).map((u) => u.id));
      const held = new Map<string, number>();
      for (const k of all) if (k.user_id !== null) held.set(k.user_id, (held.get(k.user_id) ?? 0) + 1);
      for (const k of tokens) {
        if (k.user === null) continue;
        if (!users.has(k.user))
          throw new UserAdminError(`no user ${k.user} for token ${k.serial} (${k.where}); nothing was imported`, 'no-such-user');
        this.checkDigits(k);
        held.set(k.user, (held.get(k.user) ?? 0) + 1);
      }
      const over = holders.find((u) => held.get(u)! > MAX_TOKENS_PER_USER);
      if (over !== undefined)
        throw new UserAdminError(
          `user ${over} would hold more than ${MAX_TOKENS_PER_USER} tokens; nothing was imported`,
          'too-many-tokens',
        );
      await t.transfer.putTokens(rows);
      await t.transfer.putAudit(
        tokens.map((k) => adminEntry(actor, this.place, 'token-import', k.user, `token ${k.serial}, ${k.kind}, from ${k.where}`)),
      );
    });
  }

  /** Gives the fob `serial`, nobody's now, to `user`; its secret is sealed again for its new holder. */
  assignToken(actor: Actor, serial: string, user: string): Promise<void> {
    return this.auth.store.exclusive(async (t) => {
      if (!(await t.users.get(user))) throw new UserAdminError(`no user ${user}`, 'no-such-user');
      await this.assignIn(t, serial, user);
      await recordAdminAction(t, actor, this.place, 'token-assign', user, `token ${serial}`);
    });
  }

  /** Takes the fob `serial` from its holder: nobody's, sealed for nobody, kept for another user. Returns who held it. */
  unassignToken(actor: Actor, serial: string): Promise<string> {
    return this.auth.store.exclusive(async (t) => {
      const token = await this.fob(t, serial);
      if (token.user_id === null) throw new UserAdminError(`token ${serial} is nobody's`, 'no-token');
      await this.release(t, token);
      await recordAdminAction(t, actor, this.place, 'token-unassign', token.user_id, `token ${serial}`);
      return token.user_id;
    });
  }

  /** Turns a token (a fob, or app:USER) off or on; its holder's other tokens stay as they are. Returns the token as it was. */
  setTokenEnabled(actor: Actor, serial: string, enabled: boolean): Promise<TokenRow> {
    return this.auth.store.exclusive(async (t) => {
      const token = await this.token(t, serial);
      await t.tokens.setEnabled(token.serial, enabled);
      await recordAdminAction(
        t,
        actor,
        this.place,
        enabled ? 'token-enable' : 'token-disable',
        token.user_id,
        `token ${tokenLabel(token)}`,
      );
      return token;
    });
  }

  /**
   * Sets a drifted token right from two consecutive codes of it (see
   * tokens.ts resyncPosition): both are used up. Throws 'not-resynced' when
   * they are not two such codes, and then nothing changes.
   */
  resyncToken(actor: Actor, serial: string, first: string, second: string): Promise<{ token: TokenRow; to: TokenPosition }> {
    return this.auth.store.exclusive(async (t) => {
      const token = await this.token(t, serial);
      const secret = openTokenSecret(this.auth.key.secretKey, token);
      if (secret === null)
        throw new UserAdminError(`the secret of token ${serial} does not decrypt with key file ${this.rules.keyFile}`, 'unreadable-secret');
      const to = resyncPosition(token, secret, normaliseCode(first), normaliseCode(second), this.auth.now());
      if (to === null)
        throw new UserAdminError(
          `the codes are not two consecutive codes of token ${serial} within the resync window; nothing was changed`,
          'not-resynced',
        );
      await t.tokens.moveTo(token.serial, to);
      const where = 'counter' in to ? `counter ${to.counter}` : `drift ${to.drift} step${Math.abs(to.drift) === 1 ? '' : 's'}`;
      await recordAdminAction(t, actor, this.place, 'token-resync', token.user_id, `token ${tokenLabel(token)}, ${where}`);
      return { token, to };
    });
  }

  /** The user's app token for a new secret: sealed for it, the code that proved it used up. */
  private appToken(user: string, secret: ConfirmedSecret, at = this.auth.now()): NewToken {
    const serial = appSerial(user);
    const { params, step } = secret;
    return {
      serial,
      kind: 'app',
      user_id: user,
      secret_box: sealTokenSecret(this.auth.key.secretKey, serial, user, params.secret),
      algorithm: params.algorithm,
      digits: params.digits,
      period: params.period,
      counter: null,
      last_step: step,
      created_at: at,
      updated_at: at,
    };
  }

  /** A token by name: a fob's serial, or app:USER. */
  private async token(t: StoreTx, serial: string): Promise<TokenRow> {
    const token = await t.tokens.get(serial);
    if (!token) {
      const user = appTokenUser(serial);
      throw new UserAdminError(user === null ? `no token ${serial}` : `user ${user} has no app token`, 'no-token');
    }
    return token;
  }

  /** A fob by serial: an app token never changes hands. */
  private async fob(t: StoreTx, serial: string): Promise<TokenRow> {
    const token = await this.token(t, serial);
    if (token.kind === 'app')
      throw new UserAdminError(
        `${serial} is the app of user ${token.user_id}: it never changes hands (astotp reset gives it a new secret, astotp token disable turns it off)`,
        'app-token',
      );
    return token;
  }

  private async assignIn(t: StoreTx, serial: string, user: string): Promise<void> {
    const token = await this.fob(t, serial);
    if (token.user_id === user) throw new UserAdminError(`token ${serial} is ${user}'s already`, 'token-taken');
    if (token.user_id !== null)
      throw new UserAdminError(`token ${serial} is ${token.user_id}'s (astotp token unassign ${serial} first)`, 'token-taken');
    this.checkDigits({ serial, digits: token.digits });
    await this.roomFor(t, user);
    await t.tokens.assign(serial, user, this.sealedFor(token, user));
  }

  /** The site's `digits` is the most the code prompt takes: a token with longer codes could never be typed whole. */
  private checkDigits(k: { serial: string; digits: number }): void {
    if (k.digits > this.rules.digits)
      throw new UserAdminError(
        `token ${k.serial} shows ${k.digits}-digit codes, and calls take up to ${this.rules.digits} (digits in astotp.conf); set digits = ${k.digits} first`,
        'token-digits',
      );
  }

  private async roomFor(t: StoreTx, user: string): Promise<void> {
    if ((await t.tokens.ofUser(user)).length >= MAX_TOKENS_PER_USER)
      throw new UserAdminError(
        `user ${user} holds ${MAX_TOKENS_PER_USER} tokens already, the most a user may (astotp token list ${user})`,
        'too-many-tokens',
      );
  }

  /** Makes every fob of the user nobody's (before the user goes): their serials. */
  private async releaseFobs(t: StoreTx, user: string): Promise<string[]> {
    const fobs = (await t.tokens.ofUser(user)).filter((k) => k.kind !== 'app');
    for (const k of fobs) await this.release(t, k);
    return fobs.map((k) => k.serial);
  }

  private async release(t: StoreTx, token: TokenRow): Promise<void> {
    await t.tokens.assign(token.serial, null, this.sealedFor(token, null));
  }

  /** The token's secret sealed for another holder. */
  private sealedFor(token: TokenRow, user: string | null): Buffer {
    const secret = openTokenSecret(this.auth.key.secretKey, token);
    if (secret === null)
      throw new UserAdminError(
        `the secret of token ${token.serial} does not decrypt with key file ${this.rules.keyFile}`,
        'unreadable-secret',
      );
    return sealTokenSecret(this.auth.key.secretKey, token.serial, user, secret);
  }

  private secret(params: TotpParams, step: number | null): ConfirmedSecret {
    return { params, step } as ConfirmedSecret;
  }

  private async pinHash(id: string, pin: string | null): Promise<string | null> {
    return pin === null ? null : hashPin(this.auth.key.pinPepper, id, checkPin(pin, this.rules.pinMaxDigits));
  }

  /** An app token's secret and parameters. */
  private open(app: TokenRow): TotpParams {
    const secret = openTokenSecret(this.auth.key.secretKey, app);
    if (secret === null)
      throw new UserAdminError(`the secret of ${app.user_id} does not decrypt with key file ${this.rules.keyFile}`, 'unreadable-secret');
    return { secret, algorithm: app.algorithm, digits: app.digits, period: app.period! };
  }

  /** Runs change in one transaction, recorded there when it changed something; false when it did not (no such user). */
  private change(
    actor: Actor,
    action: AdminAction,
    id: string,
    change: (t: StoreTx) => Promise<boolean>,
    note?: string | (() => string | undefined),
  ): Promise<boolean> {
    return this.auth.store.exclusive(async (t) => {
      if (!(await change(t))) return false;
      await recordAdminAction(t, actor, this.place, action, id, typeof note === 'function' ? note() : note);
      return true;
    });
  }
}

/** A change after which the user's web logins end (session-ends.ts), in its transaction. */
function ended(id: string, change: (t: StoreTx) => Promise<boolean>): (t: StoreTx) => Promise<boolean> {
  return async (t) => {
    if (!(await change(t))) return false;
    await endUserSessions(t, id);
    return true;
  };
}
