// A user's login to their own account on the web, judged exactly as a call
// is: the same verifier, so the same lockout counter and replay marks (a
// code used on the web is used for the phone, and the other way round) and
// an audit row of source web for every attempt; every failure is one answer
// (wrong PIN or code, unknown, disabled, locked or invited user), which the
// verifier makes as slow for all. Failed logins are also counted per client
// address (client-throttle.ts), apart from failed link lookups.
//
// A login makes a session (login-sessions.ts) that remembers a mark of the
// credentials it was made with: at every request the user must still exist,
// be enabled and unlocked, and have that PIN and that secret, or the session
// ends. So a change made anywhere, also by an older astotp that ends no
// sessions itself, ends it.
//
// A login with a recovery code is a lost phone's: it starts the move to a new
// phone at once (phone-move.ts), the login being that move's confirmation,
// so the recovery code it used is the only one it costs.
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import type { StoreTx, UserProfile, UserRow } from '../store/tables.js';
import { ClientThrottle } from './client-throttle.js';
import { lockEnd, type LockRules } from './lockout.js';
import { type LiveSession, LoginSessions, type SessionPolicy } from './login-sessions.js';
import type { AuthContext } from './open-auth.js';
import { type MoveRules, newMove } from './phone-move.js';
import { recoveryCodeOf } from './recovery-code-rules.js';
import { normaliseCode } from './totp.js';
import type { Context } from './verifier.js';

export const ACCOUNT_SESSION: SessionPolicy = { kind: 'account', idleSeconds: 15 * 60, lifetimeSeconds: 8 * 3600 };

/**
 * Failed logins from one address before it is refused for a while: more than
 * one user's lockout (lockout_failures), so that an office behind one NAT
 * survives its typos, while one client cannot spray guesses over many IDs.
 */
const LOGIN_CLIENT_LOCK: LockRules = { lockoutFailures: 20, lockoutMinutes: 15 };

/** What a user ID may be at most as typed into the form; longer is no ID and judged as an unknown one. */
const TYPED_ID_MAX = 100;

export type AccountRules = Pick<Settings, 'pbxName' | 'askPin'> & MoveRules;

export interface Credentials {
  pin: string;
  /** The app's code, or * and a recovery code; spaced or not. */
  code: string;
}

export type LoginOutcome =
  | { kind: 'throttled'; until: number }
  /** Whatever was wrong: one answer for all. */
  | { kind: 'refused' }
  /** `session`: the cookie's value. `lostPhone`: logged in with a recovery code, a move to a new phone started. */
  | { kind: 'in'; session: string; user: string; lostPhone: boolean };

/** A logged-in user, as one request found them. */
export interface Account {
  session: LiveSession;
  user: string;
  profile: UserProfile;
}

/** The web's audit context: the client's address where a call has its caller ID, what was done where it has its channel. */
export function webContext(pbx: string, client: string, purpose: string): Context {
  return { source: 'web', pbx, callerId: client, channel: `web/${purpose}` };
}

/**
 * Who logs in: a user to their own account (the default), or another kind
 * of principal judged the same way (the pbotp authority's approvers,
 * auth/authority.ts), with its own sessions and a further condition.
 */
export interface LoginKind {
  session: SessionPolicy;
  /** What the audit row's channel names: web/PURPOSE. */
  purpose: string;
  /** Inside the login's and every request's transaction: whether the user may hold such a session at all. */
  admits?: (t: StoreTx, user: string) => Promise<boolean>;
  /** false: a recovery code is no way in (it is a lost phone's way to its own account only). */
  recoveryCodes: boolean;
}

const ACCOUNT_LOGIN: LoginKind = { session: ACCOUNT_SESSION, purpose: 'login', recoveryCodes: true };

export class AccountLogin {
  readonly sessions: LoginSessions;
  private readonly throttle: ClientThrottle;

  constructor(
    private readonly auth: AuthContext,
    private readonly rules: AccountRules,
    private readonly kind: LoginKind = ACCOUNT_LOGIN,
  ) {
    this.sessions = new LoginSessions(auth, kind.session);
    this.throttle = new ClientThrottle(auth, LOGIN_CLIENT_LOCK, 'web-login');
  }

  /** The end of the client's running lock, else null: the login page says so before anything is typed. */
  throttledUntil(client: string): Promise<number | null> {
    return this.throttle.lockedUntil(client);
  }

  /** `replacing`: the session cookie the browser brought, ended by a login. */
  async login(typed: { user: string } & Credentials, client: string, replacing: string | undefined): Promise<LoginOutcome> {
    const until = await this.throttle.lockedUntil(client);
    if (until !== null) return { kind: 'throttled', until };
    const code = normaliseCode(typed.code);
    const refused = async (): Promise<LoginOutcome> => {
      const lock = await this.throttle.failure(client);
      return lock === null ? { kind: 'refused' } : { kind: 'throttled', until: lock };
    };
    const lostPhone = recoveryCodeOf(code) !== null;
    if (this.refuses(code)) return refused();
    const verdict = await this.auth.verifier.judge(
      { user: typed.user.trim().slice(0, TYPED_ID_MAX), pin: this.rules.askPin ? typed.pin : null, code },
      webContext(this.rules.pbxName, client, this.kind.purpose),
    );
    if (!verdict.ok) return refused();
    const session = await this.auth.store.exclusive(async (t) => {
      const u = await t.users.get(verdict.label);
      // Changed between the verdict and now (disabled, a new PIN): that login no longer counts.
      if (!u || !usable(u, this.auth.now())) return null;
      if (this.kind.admits && !(await this.kind.admits(t, u.id))) return null;
      const data = { mark: credentialMark(u) };
      if (!lostPhone) return this.sessions.start(t, u.id, data, replacing);
      const move = newMove(this.auth.key, this.rules, this.auth.now(), { ...data, lostPhone: true });
      return this.sessions.start(t, u.id, move.data, replacing, move.seal);
    });
    return session === null ? { kind: 'refused' } : { kind: 'in', session, user: verdict.label, lostPhone };
  }

  /**
   * A code alone from a user whose session proved the rest (the PIN), judged
   * as the login's code is, with the same rule on recovery codes; whether it passed.
   */
  async codeAgain(user: string, typed: string, client: string, purpose: string): Promise<boolean> {
    const code = normaliseCode(typed);
    if (this.refuses(code)) return false;
    const verdict = await this.auth.verifier.judge({ user, pin: null, code }, webContext(this.rules.pbxName, client, purpose));
    return verdict.ok;
  }

  /** Refused before it is judged, so before it is used up: a recovery code where this kind takes none. */
  private refuses(code: string): boolean {
    return recoveryCodeOf(code) !== null && !this.kind.recoveryCodes;
  }

  /** The account the cookie's value is logged in to, seen now; null when that session is over. */
  async resume(cookie: string | undefined): Promise<Account | null> {
    let user: UserRow | undefined;
    const session = await this.sessions.resume(cookie, async (t, row, data) => {
      user = await t.users.get(row.user_id);
      if (user === undefined || !usable(user, this.auth.now()) || data.mark !== credentialMark(user)) return false;
      return this.kind.admits === undefined || this.kind.admits(t, user.id);
    });
    if (!session || !user) return null;
    return { session, user: user.id, profile: { display_name: user.display_name, email: user.email, language: user.language } };
  }

  logout(cookie: string | undefined): Promise<void> {
    return this.sessions.end(cookie);
  }
}

/** Whether the user may be logged in at all right now. */
function usable(u: UserRow, now: number): boolean {
  return Boolean(u.enabled) && lockEnd(u, now) === null;
}

/**
 * Changes with the PIN and with a user removed and enrolled again; reveals
 * neither. A new secret is a token's now (schema 6): the admin service ends
 * the user's sessions of every kind where it replaces one (session-ends.ts),
 * and no older astotp can write tokens.
 */
function credentialMark(u: UserRow): string {
  return createHash('sha256')
    .update(`astotp-login-mark-v2\0${u.pin_hash ?? ''}\0${u.created_at}`)
    .digest('base64url')
    .slice(0, 22);
}
