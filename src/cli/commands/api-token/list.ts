// astotp api-token list: the approvers' API tokens, working and revoked.
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { isoTime, json, table, timeCell } from '../../format.js';
import { openForCommand } from '../../open.js';

export const command: Command = {
  help: `Usage: astotp api-token list [--json]

Lists the API tokens (never their values, which only api-token create shows):
id, approver, label, when made and by whom, last use, and when revoked.
Times are UTC; --json gives them in ISO 8601.
`,
  options: {},

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { store, authority } = await openForCommand(ctx, false);
    try {
      const tokens = await authority.listApiTokens();
      if (ctx.globals.json)
        ctx.out(
          json(
            tokens.map((t) => ({
              id: t.id,
              user: t.user_id,
              label: t.label,
              created_at: isoTime(t.created_at),
              created_by: t.created_by,
              last_used: isoTime(t.last_used),
              revoked_at: isoTime(t.revoked_at),
            })),
          ),
        );
      else if (tokens.length === 0) ctx.note('No API tokens yet.');
      else
        ctx.out(
          table(
            ['ID', 'USER', 'LABEL', 'CREATED', 'LAST USED', 'REVOKED'],
            tokens.map((t) => [
              String(t.id),
              t.user_id,
              t.label ?? '-',
              timeCell(t.created_at),
              timeCell(t.last_used),
              timeCell(t.revoked_at),
            ]),
          ),
        );
      return 0;
    } finally {
      await store.close();
    }
  },
};
