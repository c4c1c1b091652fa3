// When a user's web logins end, wherever the change is made (the CLI, a web
// page, a phone call, a call's lockout): a new PIN, a new secret, a disabled,
// removed or replaced user, a lock. The admin service and the verifier call
// this inside the transaction that makes the change, so no page served after
// the commit sees the old session. The web server checks the user's row at
// every request as well (account-login.ts), which also covers a change made
// by an older astotp sharing the database, which knows of no sessions.
import type { StoreTx } from '../store/tables.js';

/** The kind of web session a user's login makes (web_sessions.kind). */
export const ACCOUNT_SESSION_KIND = 'account';

/** Ends every web login of `user`; the number ended. */
export function endAccountSessions(t: StoreTx, user: string): Promise<number> {
  return t.webSessions.removeForUser(user, ACCOUNT_SESSION_KIND);
}
