// astotp invites: every invitation and what became of it; --revoke ends one.
import { invitationStatus } from '../../auth/invitations.js';
import { flagOption, expectPositionals, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { isoTime, json, table, timeCell } from '../format.js';
import { loginActor, openForCommand } from '../open.js';
import { checkUserId } from '../validate.js';

export const command: Command = {
  help: `Usage: astotp invites [--revoke USER] [--json]

Lists the invitations, newest first: the user, name and address, and its
state: pending (until when), expired, used (the user enrolled), revoked,
replaced (by a newer invitation of the same user) or void (3 wrong
activation codes); with the time it ended and who made it.

Options:
  --revoke USER        end USER's pending invitation now: its link stops working
  --json               print the list as JSON
`,
  options: { revoke: 'string' },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const revoke = stringOption(ctx.args, 'revoke');
    const id = revoke === undefined ? undefined : checkUserId(revoke);
    const { store, invitations, now } = await openForCommand(ctx, false);
    try {
      if (id !== undefined) {
        if (!(await invitations.revoke(loginActor, id))) throw new CliFailure(`${id} has no pending invitation`);
        ctx.out(ctx.globals.json ? JSON.stringify({ user: id, revoked: true }) : `Invitation of ${id} revoked: its link no longer works.`);
        return 0;
      }
      const all = await store.read((t) => t.invitations.list());
      const at = now();
      const rows = all.map((i) => ({ i, state: invitationStatus(i, at) }));
      if (ctx.globals.json || flagOption(ctx.args, 'json')) {
        ctx.out(
          json(
            rows.map(({ i, state }) => ({
              user: i.user_id,
              name: i.display_name,
              email: i.email,
              language: i.language,
              state,
              created: isoTime(i.created_at),
              expires: isoTime(i.expires_at),
              ended: isoTime(i.ended_at),
              activation_code: i.activation_hash !== null,
              wrong_codes: i.wrong_codes,
              by: i.created_by,
            })),
          ),
        );
      } else if (rows.length === 0) ctx.note('No invitations yet (astotp invite USER makes one).');
      else
        ctx.out(
          table(
            ['USER', 'NAME', 'EMAIL', 'STATE', 'EXPIRES', 'ENDED', 'CREATED', 'BY'],
            rows.map(({ i, state }) => [
              i.user_id,
              i.display_name ?? '-',
              i.email ?? '-',
              state,
              timeCell(i.expires_at),
              timeCell(i.ended_at),
              timeCell(i.created_at),
              i.created_by ?? '-',
            ]),
          ),
        );
      return 0;
    } finally {
      await store.close();
    }
  },
};
