// Commands that act on one existing user: the ID from the command line, the
// database opened, and a clear failure when there is no such user.
import type { Settings } from '../config/settings.js';
import type { InvitationRow, UserRow } from '../store/tables.js';
import { expectPositionals } from './args.js';
import type { CliContext } from './command.js';
import { CliFailure } from './errors.js';
import { type OpenedForCommand, openForCommand } from './open.js';
import { invitedState } from './user-view.js';
import { checkUserId } from './validate.js';

export interface OneUser extends OpenedForCommand {
  user: UserRow;
}

/**
 * Runs fn with the named user; the database is closed afterwards whatever
 * happens. An ID that is only invited goes to `invited` where given, and is
 * refused as "invited, not enrolled" otherwise.
 */
export async function withUser<T>(
  ctx: CliContext,
  opts: { extra?: string[]; settings?: Settings; invited?: (u: OpenedForCommand, inv: InvitationRow) => Promise<T> },
  fn: (u: OneUser, rest: string[]) => Promise<T> | T,
): Promise<T> {
  const [raw, ...rest] = expectPositionals(ctx.args, ['user', ...(opts.extra ?? [])]);
  const id = checkUserId(raw!);
  const auth = await openForCommand(ctx, false, opts.settings);
  try {
    const { user, inv } = await auth.store.read(async (t) => ({ user: await t.users.get(id), inv: await t.invitations.pendingFor(id) }));
    if (!user && inv && opts.invited) return await opts.invited(auth, inv);
    if (!user && inv)
      throw new CliFailure(`${id} is ${invitedState(inv)}, not enrolled (astotp invites --revoke ${id} ends the invitation)`);
    if (!user) throw new CliFailure(`no user ${id} in ${auth.store.name}`);
    return await fn({ ...auth, user }, rest);
  } finally {
    await auth.store.close();
  }
}

/** Prints a one-line result, or the user's new state as JSON. */
export function done(ctx: CliContext, message: string, state: object): number {
  ctx.out(ctx.globals.json ? JSON.stringify(state) : message);
  return 0;
}
