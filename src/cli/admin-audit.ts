// Every change an admin makes leaves an audit row, written in the same
// transaction as the change, so the log and the users never disagree: source
// 'admin', the target as user, the action as reason, and who did it (the
// login behind sudo, see os/acting-user.ts) in the detail. Never a PIN,
// code or secret: the detail says what was done, not to what value.
import { systemClock } from '../auth/clock.js';
import { actingUser } from '../os/acting-user.js';
import type { Store } from '../store/store.js';
import type { AuditEntry, StoreTx } from '../store/tables.js';

export const ADMIN_SOURCE = 'admin';

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
  | 'import'
  | 'export'
  | 'show';

let actor: string | undefined;

/** Who acts: looked up once per command, the same in every row it writes. */
function actorOnce(): string {
  return (actor ??= actingUser());
}

/** The row of one action on one target (a user ID; null for the whole database). */
export function adminEntry(action: AdminAction, target: string | null, pbx: string, note?: string): AuditEntry {
  return {
    at: systemClock(),
    user: target,
    caller_id: null,
    channel: null,
    uniqueid: null,
    source: ADMIN_SOURCE,
    result: 'SUCCESS',
    reason: action,
    detail: `${action}${note ? ` (${note})` : ''} by ${actorOnce()}`,
    pbx,
  };
}

/** Records an action inside the transaction that made the change. */
export async function recordAdminAction(t: StoreTx, action: AdminAction, target: string | null, pbx: string, note?: string): Promise<void> {
  await t.audit.add(adminEntry(action, target, pbx, note));
}

/** Runs change in one transaction, recorded there when it changed something; false when it did not (the user is gone). */
export function adminChange(
  store: Store,
  action: AdminAction,
  target: string,
  pbx: string,
  change: (t: StoreTx) => Promise<boolean>,
  note?: string,
): Promise<boolean> {
  return store.exclusive(async (t) => {
    if (!(await change(t))) return false;
    await recordAdminAction(t, action, target, pbx, note);
    return true;
  });
}

/** The same action on many targets (an import): appended in batches, not a round trip each. */
export async function recordAdminActions(
  t: StoreTx,
  action: AdminAction,
  targets: readonly string[],
  pbx: string,
  note?: (target: string) => string | undefined,
): Promise<void> {
  await t.transfer.putAudit(targets.map((id) => adminEntry(action, id, pbx, note?.(id))));
}
