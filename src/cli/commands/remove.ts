// astotp remove <user>: deletes a user after asking. A typo never deletes
// anything: an unknown user is an error and the database stays as it was.
import { expectPositionals, flagOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { loginActor } from '../open.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp remove USER [--yes]

Deletes USER (its secret, PIN and recovery codes; the audit log keeps its
entries). Asks "Remove user USER? [y/N]" on a terminal; elsewhere --yes is
required.

Options:
  --yes                do not ask
`,
  options: { yes: 'boolean' },

  async run(ctx) {
    expectPositionals(ctx.args, ['user']);
    const sure = flagOption(ctx.args, 'yes');
    if (!sure && !ctx.input.isTTY) throw new UsageError('standard input is not a terminal to ask on; add --yes to remove without asking');
    return withUser(ctx, {}, async ({ admin, user }) => {
      if (!sure) {
        process.stderr.write(`Remove user ${user.id}? [y/N] `);
        const answer = (await ctx.input.line())?.trim().toLowerCase();
        if (answer !== 'y' && answer !== 'yes') throw new CliFailure(`user ${user.id} was not removed`);
      }
      if (!(await admin.remove(loginActor, user.id))) throw new CliFailure(`user ${user.id} was removed meanwhile`);
      return done(ctx, `User ${user.id} removed.`, { user: user.id, removed: true });
    });
  },
};
