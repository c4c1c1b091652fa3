// astotp list: every user and the state that matters when someone cannot log in.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { json, table } from '../format.js';
import { openForCommand } from '../open.js';
import { LIST_HEADER, listRow, userView } from '../user-view.js';

export const command: Command = {
  help: `Usage: astotp list [--json]

Lists the users: enabled or not, locked until when, failed calls since the
last success, last successful login, creation time. Times are local; --json
gives ISO 8601 times in UTC.
`,
  options: {},

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { store } = await openForCommand(ctx, false);
    try {
      const users = await store.read((t) => t.users.list());
      if (ctx.globals.json) ctx.out(json(users.map(userView)));
      else if (users.length === 0) ctx.note('No users yet (astotp enroll USER adds one).');
      else ctx.out(table(LIST_HEADER, users.map(listRow)));
      return 0;
    } finally {
      await store.close();
    }
  },
};
