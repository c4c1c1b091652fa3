// Commands that act on one existing user: the ID from the command line, the
// database opened, and a clear failure when there is no such user.
import type { Settings } from '../config/settings.js';
import type { UserRow } from '../store/tables.js';
import { expectPositionals } from './args.js';
import type { CliContext } from './command.js';
import { CliFailure } from './errors.js';
import { type OpenedForCommand, openForCommand } from './open.js';
import { checkUserId } from './validate.js';

export interface OneUser extends OpenedForCommand {
  user: UserRow;
}

/** Runs fn with the named user; the database is closed afterwards whatever happens. */
export async function withUser<T>(
  ctx: CliContext,
  opts: { extra?: string[]; settings?: Settings },
  fn: (u: OneUser, rest: string[]) => Promise<T> | T,
): Promise<T> {
  const [raw, ...rest] = expectPositionals(ctx.args, ['user', ...(opts.extra ?? [])]);
  const id = checkUserId(raw!);
  const auth = await openForCommand(ctx, false, opts.settings);
  try {
    const user = await auth.store.read((t) => t.users.get(id));
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
