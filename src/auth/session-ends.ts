// When a user's web logins end, wherever the change is made (the CLI, a web
// page, a phone call, a call's lockout): a new PIN, a new secret, a disabled,
// removed or replaced user, a lock. Every kind of session ends, the
// account's and the pbotp authority's approver's alike, so that no kind
// added later is forgotten here. The admin service and the verifier call
// this inside the transaction that makes the change, so no page served after
// the commit sees the old session. The web server checks the user's row at
// every request as well (account-login.ts), which also covers a change made
// by an older astotp sharing the database, which knows of no sessions.
import type { StoreTx } from '../store/tables.js';

/** Ends every web session of `user`, of every kind; the number ended. */
export function endUserSessions(t: StoreTx, user: string): Promise<number> {
  return t.webSessions.removeForUser(user);
}
