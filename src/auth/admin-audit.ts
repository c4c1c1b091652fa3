// Every change made to users leaves an audit row, written in the same
// transaction as the change, so the log and the users never disagree: the
// actor's source, the target as user, the action as reason, and who did it
// (for the CLI the login behind sudo, see os/acting-user.ts) in the detail.
// Never a PIN, code or secret: the detail says what was done, not to what value.
import type { AuditEntry, StoreTx } from '../store/tables.js';
import type { Clock } from './clock.js';

/**
 * The audit source of each entry point that changes users: the admin CLI's
 * rows say admin (astotp log --admin shows them), a web page's say web, a
 * phone call's (a PIN changed on the phone) say phone.
 */
export const ACTOR_SOURCE = { cli: 'admin', web: 'web', phone: 'phone' } as const;
export type ActorSource = (typeof ACTOR_SOURCE)[keyof typeof ACTOR_SOURCE];

/** Who changes users, and from where. */
export interface Actor {
  readonly source: ActorSource;
  /** Named after "by" in the detail: "alice (loginuid 1000, uid 0)", a web session, a call. */
  readonly who: string;
}

export type AdminAction =
  | 'enroll'
  | 'reset'
  | 'set-pin'
  | 'disable'
  | 'enable'
  | 'unlock'
  | 'remove'
  | 'recovery'
  | 'migrate'
  | 'backup'
  | 'restore'
  | 'import'
  | 'export'
  | 'show'
  | 'set'
  | 'invite'
  | 'revoke-invite'
  | 'void-invite'
  | 'end-sessions'
  | 'token-import'
  | 'token-assign'
  | 'token-unassign'
  | 'token-disable'
  | 'token-enable'
  | 'token-resync'
  | 'authority-init'
  | 'role'
  | 'api-token-create'
  | 'api-token-revoke';

/** Where a row is written: the PBX (pbx_name, else its host name) and its clock. */
export interface AuditPlace {
  pbx: string;
  now: Clock;
}

/** The row of one action on one target (a user ID; null for the whole database). */
export function adminEntry(actor: Actor, place: AuditPlace, action: AdminAction, target: string | null, note?: string): AuditEntry {
  return {
    at: place.now(),
    user: target,
    caller_id: null,
    channel: null,
    uniqueid: null,
    source: actor.source,
    result: 'SUCCESS',
    reason: action,
    detail: `${action}${note ? ` (${note})` : ''} by ${actor.who}`,
    pbx: place.pbx,
  };
}

/** Records an action inside the transaction that made the change. */
export async function recordAdminAction(
  t: StoreTx,
  actor: Actor,
  place: AuditPlace,
  action: AdminAction,
  target: string | null,
  note?: string,
): Promise<void> {
  await t.audit.add(adminEntry(actor, place, action, target, note));
}

/** The same action on many targets (an import): appended in batches, not a round trip each. */
export async function recordAdminActions(
  t: StoreTx,
  actor: Actor,
  place: AuditPlace,
  action: AdminAction,
  targets: readonly string[],
  note?: (target: string) => string | undefined,
): Promise<void> {
  await t.transfer.putAudit(targets.map((id) => adminEntry(actor, place, action, id, note?.(id))));
}
