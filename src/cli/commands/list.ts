// astotp list: every user and the state that matters when someone cannot log in.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { json, table } from '../format.js';
import { openForCommand } from '../open.js';
import { heldBy, invitedRow, invitedView, LIST_HEADER, listRow, userView } from '../user-view.js';

export const command: Command = {
  help: `Usage: astotp list [--json]

Lists the users: name, enabled or not, locked until when, failed calls
since the last success, recovery codes left, last successful login,
creation time; and the IDs invited but not enrolled yet ("invited, expires
..."; astotp invites lists every invitation). A
locked user shows the failures that started the lock (the count itself
starts again from 0). Times are UTC; --json gives them in ISO 8601.
`,
  options: {},

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { store, settings } = await openForCommand(ctx, false);
    try {
      const { users, tokens, left, invitations } = await store.read(async (t) => ({
        users: await t.users.list(),
        tokens: await t.tokens.list(),
        left: await t.recoveryCodes.left(),
        invitations: await t.invitations.list(),
      }));
      const leftOf = (id: string) => left.get(id) ?? 0;
      const tokensOf = heldBy(tokens);
      const enrolled = new Set(users.map((u) => u.id));
      const invited = invitations.filter((i) => i.state === 'pending' && !enrolled.has(i.user_id)).reverse();
      if (ctx.globals.json)
        ctx.out(
          json([
            ...users.map((u) => userView(u, settings.lockoutFailures, leftOf(u.id), tokensOf(u.id))),
            ...invited.map((i) => invitedView(i)),
          ]),
        );
      else if (users.length + invited.length === 0) ctx.note('No users yet (astotp enroll USER adds one, astotp invite USER invites one).');
      else
        ctx.out(
          table(LIST_HEADER, [
            ...users.map((u) => listRow(u, settings.lockoutFailures, leftOf(u.id))),
            ...invited.map((i) => invitedRow(i)),
          ]),
        );
      return 0;
    } finally {
      await store.close();
    }
  },
};
