// The one way users are changed, whoever changes them: the admin CLI today, a
// web page or a phone call next. Each change is one transaction with its audit
// row (admin-audit.ts), made by an Actor; secrets are sealed and opened, PINs
// hashed and recovery codes stored here and in no entry point. The rules an
// entry point checks its input by before it asks for more (a user ID, a PIN)
// are here too, so every entry point refuses the same things.
import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import type { StoreTx, UserProfile, UserRow } from '../store/tables.js';
import { type Actor, type AdminAction, type AuditPlace, recordAdminAction, recordAdminActions } from './admin-audit.js';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';
import type { AccountEvent } from './account-events.js';
import { Lockout } from './lockout.js';
import type { MasterKey } from './master-key.js';
import { pbotpThrottleId, rekeyTypedIds } from './pbotp-verifier.js';
import { invitationStatus, type InvitationStatus } from './invitations.js';
import { hashPin, hashPins } from './pin-hash.js';
import { newRecoveryCodes, recoveryCodeRows, storeRecoveryCodes } from './recovery-codes.js';
import { openSecret, sealSecret } from './secret-box.js';
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
 *   pending (used, expired, revoked, replaced, void), or its session is over.
 */
export type UserAdminProblem = 'bad-pin' | 'exists' | 'unreadable-secret' | 'invitation-ended';

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
export type UserAdminSettings = Pick<Settings, 'pbxName' | 'pinMaxDigits' | 'window' | 'lockoutFailures' | 'lockoutMinutes' | 'keyFile'>;

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
   * its counters and recovery codes go). `recoveryCodes` become its set (made
   * with newRecoveryCodes, shown to the user by the caller). Returns whether a
   * user was replaced; throws UserAdminError('exists') when one exists without `replace`.
   */
  async enroll(
    actor: Actor,
    id: string,
    secret: ConfirmedSecret,
    opts: { pin: string | null; recoveryCodes: readonly string[]; replace: boolean; profile?: Partial<UserProfile> },
  ): Promise<{ replaced: boolean }> {
    const { store, key } = this.auth;
    const pinHash = await this.pinHash(id, opts.pin);
    const { params, step } = secret;
    const replaced = await store.exclusive(async (t) => {
      const existed = await t.users.remove(id);
      if (existed && !opts.replace)
        throw new UserAdminError(`user ${id} was created by someone else meanwhile; nothing was saved`, 'exists');
      await t.users.insert({
        id,
        pin_hash: pinHash,
        secret_box: sealSecret(key.secretKey, id, params.secret),
        algorithm: params.algorithm,
        digits: params.digits,
        period: params.period,
        ...opts.profile,
      });
      if (step !== null) await t.users.markStepUsed(id, step);
      await storeRecoveryCodes(t, key.recoveryPepper, id, opts.recoveryCodes, this.auth.now());
      // Enrolled by hand: an invitation for the ID would only lead to "exists" now.
      const invitation = await t.invitations.pendingFor(id);
      if (invitation) {
        await t.invitations.end(invitation.id, 'replaced', this.auth.now());
        await t.webSessions.removeForInvitation(invitation.id);
      }
      const note = [existed ? 'replaced' : '', pinHash === null ? 'no PIN' : '', invitation ? 'invitation ended' : '']
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
    const { params, step } = secret;
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
        secret_box: sealSecret(key.secretKey, e.user, params.secret),
        algorithm: params.algorithm,
        digits: params.digits,
        period: params.period,
        display_name: inv.display_name,
        email: inv.email,
        language: inv.language ?? e.language,
      });
      if (step !== null) await t.users.markStepUsed(e.user, step);
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
   * The user's new secret (a new phone). The old one works until this
   * commits, which is after the new one was proved; the PIN, the recovery
   * codes and the counters stay. False when there is no such user.
   */
  async replaceSecret(actor: Actor, id: string, secret: ConfirmedSecret): Promise<boolean> {
    const { params, step } = secret;
    const box = sealSecret(this.auth.key.secretKey, id, params.secret);
    const replaced = await this.change(actor, 'reset', id, async (t) => {
      if (!(await t.users.replaceSecret(id, box, params))) return false;
      if (step !== null) await t.users.markStepUsed(id, step);
      return true;
    });
    if (replaced) this.told('secret-changed', actor, id);
    return replaced;
  }

  /** A new PIN, or none (null); false when there is no such user. */
  async setPin(actor: Actor, id: string, pin: string | null): Promise<boolean> {
    const hash = await this.pinHash(id, pin);
    const changed = await this.change(actor, 'set-pin', id, (t) => t.users.setPin(id, hash), pin === null ? 'no PIN' : undefined);
    if (changed) this.told('pin-changed', actor, id);
    return changed;
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
    return this.change(actor, 'disable', id, (t) => t.users.setEnabled(id, false));
  }

  enable(actor: Actor, id: string): Promise<boolean> {
    return this.change(actor, 'enable', id, (t) => t.users.setEnabled(id, true));
  }

  /** Deletes the user with its secret, PIN and recovery codes (the audit log keeps its rows); false when there is no such user. */
  remove(actor: Actor, id: string): Promise<boolean> {
    return this.change(actor, 'remove', id, (t) => t.users.remove(id));
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
    const rows: UserRow[] = users.map((u, i) => ({
      id: u.id,
      pin_hash: hashes[i]!,
      secret_box: sealSecret(key.secretKey, u.id, u.params.secret),
      algorithm: u.params.algorithm,
      digits: u.params.digits,
      period: u.params.period,
      enabled: 1,
      failures: 0,
      pin_streak: 0,
      lock_level: 0,
      locked_until: null,
      last_step: null,
      last_success: null,
      created_at: now,
      updated_at: now,
      display_name: u.profile.display_name ?? null,
      email: u.profile.email ?? null,
      language: u.profile.language ?? null,
    }));
    const replaced = await store.exclusive(async (t) => {
      // Read under the write lock: someone may have enrolled one of them since the caller looked.
      const present = new Map((await t.users.list()).map((u) => [u.id, u]));
      const clash = users.filter((u) => present.has(u.id));
      if (clash.length > 0 && !opts.replace)
        throw new UserAdminError(`user ${clash[0]!.id} (${clash[0]!.where}) was enrolled meanwhile; nothing was imported`, 'exists');
      // A user replaced under the same secret keeps its replay mark: a code it used may still be in its window.
      const rowOf = new Map(rows.map((r) => [r.id, r]));
      for (const u of clash) {
        const old = present.get(u.id)!;
        if (openSecret(key.secretKey, old.id, old.secret_box) === u.params.secret) rowOf.get(u.id)!.last_step = old.last_step;
      }
      for (const u of clash) await t.users.remove(u.id);
      await t.transfer.putUsers(rows);
      await t.transfer.putRecoveryCodes(codeRows);
      const ids = new Set(clash.map((u) => u.id));
      const whereOf = new Map(users.map((u) => [u.id, u.where]));
      await recordAdminActions(
        t,
        actor,
        this.place,
        'import',
        users.map((u) => u.id),
        (id) => `${ids.has(id) ? 'replaced, ' : ''}from ${whereOf.get(id)}`,
      );
      return ids;
    });
    return { replaced, newRecoveryCodes: made };
  }

  /** The user's secret in plain text (to set up another phone), recorded before it is returned. */
  async revealSecret(actor: Actor, user: UserRow): Promise<string> {
    const secret = this.open(user);
    await this.auth.store.exclusive((t) => recordAdminAction(t, actor, this.place, 'show', user.id, 'secret revealed'));
    return secret;
  }

  /**
   * Every secret of `users`, in their order, for an export to `destination`
   * (undefined: standard output): one row recorded for all of them before
   * any is returned, and none returned unless all open.
   */
  async revealSecrets(actor: Actor, users: readonly UserRow[], destination: string | undefined): Promise<string[]> {
    const secrets = users.map((u) => this.open(u));
    const note = `secrets of ${users.length} user${users.length === 1 ? '' : 's'} revealed${destination === undefined ? '' : ` to ${destination}`}`;
    await this.auth.store.exclusive((t) => recordAdminAction(t, actor, this.place, 'export', null, note));
    return secrets;
  }

  private secret(params: TotpParams, step: number | null): ConfirmedSecret {
    return { params, step } as ConfirmedSecret;
  }

  private async pinHash(id: string, pin: string | null): Promise<string | null> {
    return pin === null ? null : hashPin(this.auth.key.pinPepper, id, checkPin(pin, this.rules.pinMaxDigits));
  }

  private open(user: UserRow): string {
    const secret = openSecret(this.auth.key.secretKey, user.id, user.secret_box);
    if (secret === null)
      throw new UserAdminError(`the secret of ${user.id} does not decrypt with key file ${this.rules.keyFile}`, 'unreadable-secret');
    return secret;
  }

  /** Runs change in one transaction, recorded there when it changed something; false when it did not (no such user). */
  private change(actor: Actor, action: AdminAction, id: string, change: (t: StoreTx) => Promise<boolean>, note?: string): Promise<boolean> {
    return this.auth.store.exclusive(async (t) => {
      if (!(await change(t))) return false;
      await recordAdminAction(t, actor, this.place, action, id, note);
      return true;
    });
  }
}
