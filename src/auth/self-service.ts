// What a logged-in user does with their own account on the web. Every change
// asks for the PIN and a fresh code (or * and a recovery code) again first,
// judged by the verifier as a call is (the code the login used is used up:
// the next one is needed), so a stolen session alone changes nothing; then
// it goes through the admin service with a web actor, which writes its
// audit row. A wrong confirmation is one answer, whatever was wrong, and
// counts towards the user's lockout, whose lock ends every session.
// - a new PIN (twice, under the site's rules; ends every session);
// - new recovery codes (shown once; every older one stops working);
// - a move to a new phone: the new secret shown (phone-move.ts), confirmed
//   by the new app's code, and only then does the old one stop working
//   (ends every session);
// - the account's recent activity: calls, web logins, changes made to it;
// - log out everywhere.
import type { Settings } from '../config/settings.js';
import type { AuditEntry, StoreTx } from '../store/tables.js';
import { ACTOR_SOURCE, type Actor, type AdminAction } from './admin-audit.js';
import { type Account, type Credentials, webContext } from './account-login.js';
import type { LoginSessions } from './login-sessions.js';
import type { AuthContext } from './open-auth.js';
import { newMove, type PendingMove, pendingMove, withoutMove } from './phone-move.js';
import { DEFAULT_RECOVERY_CODES, recoveryCodesLeft } from './recovery-code-rules.js';
import { normaliseCode } from './totp.js';
import { checkPin, type UserAdmin, UserAdminError } from './user-admin.js';

/** How many recovery codes a new set has. */
export const NEW_RECOVERY_CODES = DEFAULT_RECOVERY_CODES;

/** Rows of recent activity a page shows. */
const ACTIVITY_ROWS = 30;

export type SelfServiceRules = Pick<Settings, 'pbxName' | 'askPin' | 'pinMaxDigits' | 'algorithm' | 'digits' | 'period'>;

/** The confirmation (PIN and code) was not right: one answer, whatever was wrong. */
type Refused = { kind: 'refused' };
/** The session ended meanwhile (by this very confirmation's lockout, or elsewhere). */
type Ended = { kind: 'ended' };

export interface PinProblems {
  newPin?: 'rule' | 'mismatch';
}

type ActivityKind = 'call' | 'web-login' | 'web-check' | 'change';

/** One row of the account's recent activity, as a user may see it: never the admin's detail. */
export interface Activity {
  at: number;
  kind: ActivityKind;
  ok: boolean;
  /** The call's or login's reason (ok, bad-credentials, locked, timeout...), or the change made (set-pin, reset...). */
  what: string;
  /** Who made a change: the admin, the user on the web, the user on the phone. */
  by: 'admin' | 'web' | 'phone' | null;
  pbx: string | null;
  /** A web row's client address, a call's caller ID. */
  from: string | null;
}

export interface Overview {
  recoveryCodesLeft: number;
  activity: Activity[];
}

/** Every reason a row of a change has: the compiler holds it to AdminAction, no more and no less. */
const CHANGES: Record<AdminAction, true> = {
  enroll: true,
  reset: true,
  'set-pin': true,
  disable: true,
  enable: true,
  unlock: true,
  remove: true,
  recovery: true,
  migrate: true,
  backup: true,
  restore: true,
  import: true,
  export: true,
  show: true,
  set: true,
  invite: true,
  'revoke-invite': true,
  'void-invite': true,
  'end-sessions': true,
  'token-import': true,
  'token-assign': true,
  'token-unassign': true,
  'token-disable': true,
  'token-enable': true,
  'token-resync': true,
  'authority-init': true,
  role: true,
  'api-token-create': true,
  'api-token-revoke': true,
};

export class SelfService {
  constructor(
    private readonly auth: AuthContext,
    private readonly rules: SelfServiceRules,
    private readonly admin: UserAdmin,
    private readonly sessions: LoginSessions,
  ) {}

  /** Who a change from this client is recorded as made by. */
  actor(client: string): Actor {
    return { source: ACTOR_SOURCE.web, who: `web login from ${client}` };
  }

  /** Whether this site has PINs to change: not where calls ask for none. */
  get hasPins(): boolean {
    return this.rules.askPin;
  }

  async overview(a: Account): Promise<Overview> {
    const { left, rows } = await this.auth.store.read(async (t) => ({
      left: await recoveryCodesLeft(t, a.user),
      rows: await t.audit.list({ users: [a.user], limit: ACTIVITY_ROWS }),
    }));
    return { recoveryCodesLeft: left, activity: rows.reverse().map(activityOf) };
  }

  /** A new PIN: checked before the confirmation is judged, so a typo in it costs no code. */
  async changePin(
    a: Account,
    client: string,
    form: Credentials & { newPin: string; newPinAgain: string },
  ): Promise<{ kind: 'invalid'; problems: PinProblems } | Refused | Ended | { kind: 'done' }> {
    if (!this.rules.askPin) return { kind: 'ended' };
    try {
      checkPin(form.newPin, this.rules.pinMaxDigits);
    } catch (err) {
      if (!(err instanceof UserAdminError)) throw err;
      return { kind: 'invalid', problems: { newPin: 'rule' } };
    }
    if (form.newPin !== form.newPinAgain) return { kind: 'invalid', problems: { newPin: 'mismatch' } };
    if (!(await this.confirmed(a, client, form, 'set-pin'))) return { kind: 'refused' };
    return (await this.admin.setPin(this.actor(client), a.user, form.newPin)) ? { kind: 'done' } : { kind: 'ended' };
  }

  /** A new set of recovery codes, to be shown once. */
  async renewRecoveryCodes(a: Account, client: string, form: Credentials): Promise<Refused | Ended | { kind: 'done'; codes: string[] }> {
    if (!(await this.confirmed(a, client, form, 'recovery'))) return { kind: 'refused' };
    const codes = await this.admin.renewRecoveryCodes(this.actor(client), a.user, NEW_RECOVERY_CODES);
    return codes === null ? { kind: 'ended' } : { kind: 'done', codes };
  }

  /** Starts a move to a new phone: a new secret, held by the session until it is confirmed. */
  async startMove(a: Account, client: string, form: Credentials): Promise<Refused | Ended | { kind: 'started' }> {
    if (!(await this.confirmed(a, client, form, 'reset'))) return { kind: 'refused' };
    const move = newMove(this.auth.key, this.rules, this.auth.now(), a.session.data);
    const saved = await this.auth.store.exclusive((t) => this.sessions.save(t, a.session, move.data, move.seal(a.session.hash)));
    return saved ? { kind: 'started' } : { kind: 'ended' };
  }

  /** The new phone's secret while it is being set up; null when no move is in progress. */
  pendingMove(a: Account): PendingMove | null {
    return pendingMove(this.auth.key, a.session, this.auth.now());
  }

  /**
   * The new app's current code: the new secret replaces the old one, every
   * session of the user ends (this one too), the code is used up.
   */
  async confirmMove(a: Account, client: string, code: string): Promise<{ kind: 'invalid'; missing: boolean } | Ended | { kind: 'done' }> {
    const move = this.pendingMove(a);
    if (move === null) return { kind: 'ended' };
    if (normaliseCode(code) === '') return { kind: 'invalid', missing: true };
    const proved = this.admin.confirmEnrollment(move.params, code);
    if (proved === null) return { kind: 'invalid', missing: false };
    // Only while this login lasts: one ended meanwhile (log out everywhere, elsewhere) saves nothing.
    const live = (t: StoreTx) => this.sessions.isLive(t, a.session);
    return (await this.admin.replaceSecret(this.actor(client), a.user, proved, live)) ? { kind: 'done' } : { kind: 'ended' };
  }

  /** Drops the move in progress: the new secret is forgotten, the old phone goes on as before. */
  async cancelMove(a: Account): Promise<void> {
    await this.auth.store.exclusive((t) => this.sessions.save(t, a.session, withoutMove(a.session.data), null));
  }

  /** Logs the user out of every browser, this one too. */
  endEverywhere(a: Account, client: string): Promise<boolean> {
    return this.admin.endSessions(this.actor(client), a.user);
  }

  private async confirmed(a: Account, client: string, form: Credentials, purpose: AdminAction): Promise<boolean> {
    const verdict = await this.auth.verifier.judge(
      { user: a.user, pin: this.rules.askPin ? form.pin : null, code: normaliseCode(form.code) },
      webContext(this.rules.pbxName, client, purpose),
    );
    return verdict.ok;
  }
}

function activityOf(e: AuditEntry): Activity {
  const by =
    e.source === ACTOR_SOURCE.cli ? 'admin' : e.source === ACTOR_SOURCE.web ? 'web' : e.source === ACTOR_SOURCE.phone ? 'phone' : null;
  if (by !== null && Object.hasOwn(CHANGES, e.reason))
    return {
      at: e.at,
      kind: 'change',
      ok: e.result === 'SUCCESS',
      what: e.reason,
      by,
      pbx: e.pbx,
      from: by === 'web' ? e.caller_id : null,
    };
  const web = e.source === ACTOR_SOURCE.web;
  return {
    at: e.at,
    kind: web ? (e.channel === 'web/login' ? 'web-login' : 'web-check') : 'call',
    ok: e.result === 'SUCCESS',
    what: e.reason,
    by: null,
    pbx: e.pbx,
    from: e.caller_id,
  };
}
