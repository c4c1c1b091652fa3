// astotp unlock <user>: end a lockout, of an enrolled user and of the same
// ID's pbotp logins (those need no enrollment, so there may be no user row).
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { loginActor, openForCommand } from '../open.js';
import { done } from '../user-arg.js';
import { checkUserId } from '../validate.js';

export const command: Command = {
  help: `Usage: astotp unlock USER

Ends USER's lockout and sets its failure count to zero, for TOTP logins and
for pbotp logins (mode = pbotp in astotp.conf or a profile) with that user ID.
`,
  options: {},

  async run(ctx) {
    const [raw] = expectPositionals(ctx.args, ['user']);
    const id = checkUserId(raw!);
    const { store, admin } = await openForCommand(ctx, false);
    try {
      const { enrolled, pbotp } = await admin.unlock(loginActor, id);
      if (!enrolled && !pbotp) throw new CliFailure(`no user ${id} in ${store.name}, and no pbotp failures of ${id} to clear`);
      return done(ctx, enrolled ? `User ${id} unlocked.` : `pbotp lockout of ${id} cleared.`, {
        user: id,
        locked_until: null,
        failures: 0,
      });
    } finally {
      await store.close();
    }
  },
};
