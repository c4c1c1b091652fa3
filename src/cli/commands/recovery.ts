// astotp recovery <user>: a new set of recovery codes, e.g. when the sheet is
// used up or lost. The old set dies in the same transaction.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { loginActor } from '../open.js';
import { printRecoveryCodes, recoveryCountHelp, recoveryCountOption } from '../recovery-code-sheet.js';
import { withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp recovery USER [--count N] [--json]

Makes a new set of single-use recovery codes for USER and prints it; every
older code, used or not, stops working. A caller who lost the phone types *
and one of them at the code prompt instead of the app's code (the PIN is
still asked). --count 0 only cancels the old set.

Options:
${recoveryCountHelp('count')}
  --json               print {user, recovery_codes}
`,
  options: { count: 'string' },

  async run(ctx) {
    expectPositionals(ctx.args, ['user']);
    const count = recoveryCountOption(ctx.args, 'count');
    return withUser(ctx, {}, async ({ admin, user }) => {
      const codes = await admin.renewRecoveryCodes(loginActor, user.id, count);
      if (codes === null) throw new CliFailure(`user ${user.id} was removed meanwhile; nothing was saved`);
      if (ctx.globals.json) ctx.out(JSON.stringify({ user: user.id, recovery_codes: codes }));
      else printRecoveryCodes(ctx, user.id, codes);
      return 0;
    });
  },
};
