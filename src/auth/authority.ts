// The pbotp authority's rules: who may get a response, and the record of
// every response given. An approver is a user of the authority's database
// with the approver role, logged in as a call is judged (account-login.ts:
// the same verifier, lockout and replay marks, its own kind of session), or
// a helpdesk tool holding one of the approver's API tokens. Before a
// response is shown the approver's session must have seen a code within
// FRESH_SECONDS (a new code renews it), the role must cover the login's
// group and host (and pbotp serve --allow-group, where given, name the
// group), and the response is computed and its audit row written in
// one transaction, so no response leaves without its row: the approver,
// the login (group, host, user), a hash of the challenge (the device's
// nonce stays on the device; the challenge is what stands for it), the
// client's address and the time.
import { createHash } from 'node:crypto';
import { describeLogin, loginData, type LoginFields } from '../pbotp/login.js';
import { respond } from '../pbotp/protocol.js';
import type { StoreTx } from '../store/tables.js';
import { type AccountRules, AccountLogin, type LoginKind } from './account-login.js';
import { apiTokenHash, isAuthority } from './authority-admin.js';
import { AUTHORITY_SOURCE } from './authority-mark.js';
import { type ApproverRights, mayApprove, rightsOf } from './approver-rights.js';
import { CLIENT_LOCK, ClientThrottle } from './client-throttle.js';
import { lockEnd } from './lockout.js';
import type { LiveSession } from './login-sessions.js';
import type { AuthContext } from './open-auth.js';

/** How long a code typed into the console vouches for the approver: see README ("The authority's console"). */
const FRESH_SECONDS = 5 * 60;

/** Sessions as strict as a user's own: 15 minutes idle, 8 hours at most. */
const APPROVER_LOGIN: LoginKind = {
  session: { kind: 'approver', idleSeconds: 15 * 60, lifetimeSeconds: 8 * 3600 },
  purpose: 'approver-login',
  recoveryCodes: false,
  admits: async (t, user) => (await isAuthority(t)) && (await t.roles.get(user)) !== undefined,
};

/** Who asks for a response: a console session's approver, or an API token's. */
export type Asker = { via: 'web'; user: string; session: LiveSession } | { via: 'api'; user: string; tokenId: number };

type IssueOutcome =
  | { kind: 'issued'; response: Uint8Array }
  /** The approver's role does not cover the login (or is gone), or this server does not answer for its group. */
  | { kind: 'no-right' }
  /** The session or token ended, or the approver may no longer log in at all. */
  | { kind: 'ended' };

/** The hash that names a challenge in the audit log: enough to match a device's record, nothing to answer it with. */
export function challengeFingerprint(challenge: Uint8Array): string {
  return createHash('sha256').update(challenge).digest('hex').slice(0, 32);
}

export class Authority {
  readonly login: AccountLogin;
  private readonly tokenThrottle: ClientThrottle;
  private readonly allowGroups: ReadonlySet<string> | null;

  /** `allowGroups` (pbotp serve --allow-group): the groups answered for at all, whatever a role says; undefined for all. */
  constructor(
    private readonly auth: AuthContext,
    private readonly rules: AccountRules,
    private readonly privateKey: Uint8Array,
    allowGroups?: readonly string[],
  ) {
    this.allowGroups = allowGroups === undefined ? null : new Set(allowGroups);
    this.login = new AccountLogin(auth, rules, APPROVER_LOGIN);
    this.tokenThrottle = new ClientThrottle(auth, CLIENT_LOCK, 'api-token');
  }

  /** The approver's rights now; null when they have no role. */
  async rights(user: string): Promise<ApproverRights | null> {
    const role = await this.auth.store.read((t) => t.roles.get(user));
    return role ? rightsOf(role) : null;
  }

  /** Whether this server answers for the login's group and the approver's role covers the login now (the issue checks again in its transaction). */
  async covers(user: string, login: LoginFields): Promise<boolean> {
    const rights = await this.rights(user);
    return rights !== null && this.answers(rights, login);
  }

  private answers(rights: ApproverRights, login: LoginFields): boolean {
    return (this.allowGroups === null || this.allowGroups.has(login.group)) && mayApprove(rights, login);
  }

  /** Whether the session saw a code within FRESH_SECONDS (its login, or a later confirmation). */
  isFresh(session: LiveSession): boolean {
    const at = typeof session.data.codeAt === 'number' ? session.data.codeAt : session.createdAt;
    return this.auth.now() < at + FRESH_SECONDS;
  }

  /** A fresh code (no PIN: the session proved it; no recovery code, as at the login): true renews the session's freshness. */
  async confirmCode(session: LiveSession, user: string, code: string, client: string): Promise<boolean> {
    if (!(await this.login.codeAgain(user, code, client, 'approver-code'))) return false;
    return this.auth.store.exclusive((t) =>
      this.login.sessions.save(t, session, { ...session.data, codeAt: this.auth.now() }, session.secretBox),
    );
  }

  /**
   * The approver of an API token's value (Authorization: Bearer); null for
   * none that works. Failures are counted per client address, as failed
   * logins are: a client that sends many bad tokens is refused for a while.
   */
  async apiUser(value: string, client: string): Promise<{ user: string; tokenId: number } | { throttled: number } | null> {
    const until = await this.tokenThrottle.lockedUntil(client);
    if (until !== null) return { throttled: until };
    const hash = apiTokenHash(value);
    const token = hash === undefined ? undefined : await this.auth.store.read((t) => t.apiTokens.byHash(hash));
    if (token && token.revoked_at === null) return { user: token.user_id, tokenId: token.id };
    const lock = await this.tokenThrottle.failure(client);
    return lock === null ? null : { throttled: lock };
  }

  /**
   * The response for `login` and `challenge`, when the asker may have it:
   * decided, computed and recorded in one transaction. A refusal is recorded too.
   */
  issue(asker: Asker, login: LoginFields, challenge: Uint8Array, client: string): Promise<IssueOutcome> {
    return this.auth.store.exclusive(async (t) => {
      const now = this.auth.now();
      const record = (ok: boolean, reason: string) =>
        t.audit.add({
          at: now,
          user: asker.user,
          caller_id: client,
          channel: `pbotp/${asker.via}`,
          uniqueid: null,
          source: AUTHORITY_SOURCE,
          result: ok ? 'SUCCESS' : 'FAILURE',
          reason,
          detail: `${describeLogin(login)}, challenge sha256 ${challengeFingerprint(challenge)}${asker.via === 'api' ? `, API token ${asker.tokenId}` : ''}`,
          pbx: this.rules.pbxName,
        });
      if (!(await this.stillIn(t, asker, now))) return { kind: 'ended' };
      const role = await t.roles.get(asker.user);
      if (!role || !this.answers(rightsOf(role), login)) {
        await record(false, 'no-right');
        return { kind: 'no-right' };
      }
      const response = respond(this.privateKey, challenge, loginData(login));
      if (asker.via === 'api') await t.apiTokens.used(asker.tokenId, now);
      await record(true, 'pbotp-response');
      return { kind: 'issued', response };
    });
  }

  /** Inside the transaction: the session or token still works, and its approver may still log in. */
  private async stillIn(t: StoreTx, asker: Asker, now: number): Promise<boolean> {
    if (!(await isAuthority(t))) return false;
    const u = await t.users.get(asker.user);
    if (u === undefined || !u.enabled || lockEnd(u, now) !== null) return false;
    if (asker.via === 'web') return this.login.sessions.isLive(t, asker.session);
    const token = await t.apiTokens.get(asker.tokenId);
    return token !== undefined && token.revoked_at === null && token.user_id === asker.user;
  }
}
