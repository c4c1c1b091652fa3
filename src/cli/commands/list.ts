// astotp list: every user and the state that matters when someone cannot log in.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { json, table } from '../format.js';
import { openForCommand } from '../open.js';
import { LIST_HEADER, listRow, userView } from '../user-view.js';

export const command: Command = {
  help: `Usage: astotp list [--json]

Lists the users: enabled or not, locked until when, failed calls since the
last success, recovery codes left, last successful login, creation time. A
locked user shows the failures that started the lock (the count itself
starts again from 0). Times are UTC; --json gives them in ISO 8601.
`,
  options: {},

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { store, settings } = await openForCommand(ctx, false);
    try {
      const { users, left } = await store.read(async (t) => ({ users: await t.users.list(), left: await t.recoveryCodes.left() }));
      const leftOf = (id: string) => left.get(id) ?? 0;
      if (ctx.globals.json) ctx.out(json(users.map((u) => userView(u, settings.lockoutFailures, leftOf(u.id)))));
      else if (users.length === 0) ctx.note('No users yet (astotp enroll USER adds one).');
      else
        ctx.out(
          table(
            LIST_HEADER,
            users.map((u) => listRow(u, settings.lockoutFailures, leftOf(u.id))),
          ),
        );
      return 0;
    } finally {
      await store.close();
    }
  },
};
