// A user enrolling themselves through an invitation link: the rules of each
// step, whatever serves the pages. Looking at a link changes nothing (mail
// scanners and link previews fetch links); trading it, with the activation
// code where one was set, starts a short session, and only then is a secret
// made, sealed in the session's row; the user's code proves the new app
// holds it, and one transaction of the admin service makes the user
// (user-admin.ts enrollInvited). Failed lookups count per client address
// (client-throttle.ts); wrong activation codes per invitation, which the
// third one voids.
import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import type { InvitationRow, UserProfile } from '../store/tables.js';
import { type Actor, type AuditPlace, recordAdminAction } from './admin-audit.js';
import { ClientThrottle } from './client-throttle.js';
import type { Clock } from './clock.js';
import {
  activationMatches,
  invitationStatus,
  isTokenShape,
  MAX_WRONG_ACTIVATION_CODES,
  tokenHash,
  type InvitationStatus,
} from './invitations.js';
import type { MasterKey } from './master-key.js';
import { DEFAULT_RECOVERY_CODES, newRecoveryCodes } from './recovery-code-rules.js';
import { openSecret, sealSecret } from './secret-box.js';
import { newSecret, normaliseCode, type TotpParams } from './totp.js';
import { checkPin, type UserAdmin, UserAdminError } from './user-admin.js';
import { newSessionValue, sessionBinding, sessionHash } from './web-session.js';

/** How long a browser has from trading the link to finishing: enough to install an app. */
const ENROL_SESSION_SECONDS = 30 * 60;
const KIND = 'enrol';

export type EndedStatus = Exclude<InvitationStatus, 'pending'>;

/** What a link leads to, as the start page shows it. */
export type LinkState =
  | { kind: 'throttled'; until: number }
  | { kind: 'unknown' }
  | { kind: 'ended'; status: EndedStatus }
  | { kind: 'pending'; invitation: InvitationView };

interface InvitationView {
  user: string;
  profile: UserProfile;
  needsActivationCode: boolean;
  expiresAt: number;
}

/** A session's enrolment in progress: what the set-up page shows. */
export interface PendingEnrolment extends InvitationView {
  sessionHash: string;
  invitationId: number;
  params: TotpParams;
  issuer: string;
  askPin: boolean;
  sessionEnds: number;
}

/** What was wrong with a set-up form, field by field; nothing was written. */
export interface EnrolmentProblems {
  code?: 'missing' | 'wrong';
  pin?: 'rule' | 'mismatch';
}

export type EnrolmentRules = Pick<Settings, 'pbxName' | 'issuer' | 'algorithm' | 'digits' | 'period' | 'askPin' | 'pinMaxDigits'>;

export class SelfEnrolment {
  private readonly throttle: ClientThrottle;
  private readonly place: AuditPlace;

  constructor(
    private readonly auth: { store: Store; key: MasterKey; now: Clock },
    private readonly rules: EnrolmentRules,
    private readonly admin: UserAdmin,
  ) {
    this.throttle = new ClientThrottle(auth);
    this.place = { pbx: rules.pbxName, now: auth.now };
  }

  /** The start page's facts; reads only, but an unknown token counts against the client. */
  async lookup(token: string, client: string): Promise<LinkState> {
    const until = await this.throttle.lockedUntil(client);
    if (until !== null) return { kind: 'throttled', until };
    const inv = isTokenShape(token) ? await this.auth.store.read((t) => t.invitations.byTokenHash(tokenHash(token))) : undefined;
    if (!inv) {
      const lock = await this.throttle.failure(client);
      return lock === null ? { kind: 'unknown' } : { kind: 'throttled', until: lock };
    }
    return this.state(inv);
  }

  /**
   * Trades a pending link (and its activation code, where one was set) for
   * a new session with a new secret; any earlier session of the link ends,
   * so only the newest browser goes on. Returns the cookie's value, never stored.
   */
  async trade(
    actor: Actor,
    token: string,
    activationCode: string,
    client: string,
  ): Promise<LinkState | { kind: 'wrong-code'; left: number } | { kind: 'started'; session: string; user: string }> {
    const until = await this.throttle.lockedUntil(client);
    if (until !== null) return { kind: 'throttled', until };
    const { store, key } = this.auth;
    const outcome = await store.exclusive(async (t) => {
      const now = this.auth.now();
      const inv = isTokenShape(token) ? await t.invitations.byTokenHash(tokenHash(token)) : undefined;
      if (!inv) return { kind: 'unknown' as const };
      const state = this.state(inv);
      if (state.kind !== 'pending') return state;
      if (!activationMatches(key.recoveryPepper, inv, activationCode)) {
        const wrong = inv.wrong_codes + 1;
        await t.invitations.setWrongCodes(inv.id, wrong);
        if (wrong < MAX_WRONG_ACTIVATION_CODES) return { kind: 'wrong-code' as const, left: MAX_WRONG_ACTIVATION_CODES - wrong };
        await t.invitations.end(inv.id, 'void', now);
        await t.webSessions.removeForInvitation(inv.id);
        await recordAdminAction(t, actor, this.place, 'void-invite', inv.user_id, `${wrong} wrong activation codes`);
        return { kind: 'ended' as const, status: 'void' as const };
      }
      const session = newSessionValue();
      const hash = sessionHash(session)!;
      const params: TotpParams = {
        secret: newSecret(),
        algorithm: this.rules.algorithm,
        digits: this.rules.digits,
        period: this.rules.period,
      };
      await t.webSessions.removeExpired(now);
      await t.webSessions.removeForInvitation(inv.id);
      await t.webSessions.add({
        id_hash: hash,
        kind: KIND,
        user_id: inv.user_id,
        invitation_id: inv.id,
        secret_box: sealSecret(key.secretKey, sessionBinding(hash), params.secret),
        data: JSON.stringify({ algorithm: params.algorithm, digits: params.digits, period: params.period }),
        created_at: now,
        seen_at: now,
        expires_at: Math.min(now + ENROL_SESSION_SECONDS, inv.expires_at),
      });
      return { kind: 'started' as const, session, user: inv.user_id };
    });
    if (outcome.kind === 'unknown' || outcome.kind === 'wrong-code') {
      const lock = await this.throttle.failure(client);
      if (lock !== null) return { kind: 'throttled', until: lock };
    }
    return outcome;
  }

  /** The enrolment the session cookie's value belongs to; null when there is none (any more). */
  async pending(session: string): Promise<PendingEnrolment | null> {
    const hash = sessionHash(session);
    if (hash === undefined) return null;
    const now = this.auth.now();
    const found = await this.auth.store.read(async (t) => {
      const row = await t.webSessions.get(hash);
      if (!row || row.kind !== KIND || row.expires_at <= now || row.invitation_id === null) return null;
      const inv = await t.invitations.get(row.invitation_id);
      return inv ? { row, inv } : null;
    });
    if (!found || invitationStatus(found.inv, now) !== 'pending' || found.row.secret_box === null) return null;
    const secret = openSecret(this.auth.key.secretKey, sessionBinding(hash), found.row.secret_box);
    if (secret === null) return null;
    const facts = JSON.parse(found.row.data ?? '{}') as Omit<TotpParams, 'secret'>;
    return {
      ...view(found.inv),
      sessionHash: hash,
      invitationId: found.inv.id,
      params: { secret, algorithm: facts.algorithm, digits: facts.digits, period: facts.period },
      issuer: this.rules.issuer,
      askPin: this.rules.askPin,
      sessionEnds: found.row.expires_at,
    };
  }

  /**
   * The set-up form: a current code from the new app and, where calls ask
   * for one, the PIN twice. Problems come back field by field with nothing
   * written; otherwise the user is made in one transaction and the recovery
   * codes, to be shown once, are returned. `language`: the pages' language,
   * the user's when the invitation names none.
   */
  async finish(
    actor: Actor,
    e: PendingEnrolment,
    form: { code: string; pin: string; pinAgain: string; language: string | null },
  ): Promise<{ kind: 'invalid'; problems: EnrolmentProblems } | { kind: 'done'; recoveryCodes: string[] }> {
    const problems: EnrolmentProblems = {};
    let pin: string | null = null;
    if (e.askPin) {
      try {
        pin = checkPin(form.pin, this.rules.pinMaxDigits);
        if (form.pin !== form.pinAgain) problems.pin = 'mismatch';
      } catch (err) {
        if (!(err instanceof UserAdminError)) throw err;
        problems.pin = 'rule';
      }
    }
    const proved = normaliseCode(form.code) === '' ? null : this.admin.confirmEnrollment(e.params, form.code);
    if (proved === null) problems.code = normaliseCode(form.code) === '' ? 'missing' : 'wrong';
    if (proved === null || problems.pin !== undefined) return { kind: 'invalid', problems };
    const recoveryCodes = newRecoveryCodes(DEFAULT_RECOVERY_CODES);
    await this.admin.enrollInvited(
      actor,
      { sessionHash: e.sessionHash, invitationId: e.invitationId, user: e.user, language: form.language },
      proved,
      { pin, recoveryCodes },
    );
    return { kind: 'done', recoveryCodes };
  }

  private state(inv: InvitationRow): LinkState {
    const status = invitationStatus(inv, this.auth.now());
    return status === 'pending' ? { kind: 'pending', invitation: view(inv) } : { kind: 'ended', status };
  }
}

function view(inv: InvitationRow): InvitationView {
  return {
    user: inv.user_id,
    profile: { display_name: inv.display_name, email: inv.email, language: inv.language },
    needsActivationCode: inv.activation_hash !== null,
    expiresAt: inv.expires_at,
  };
}
