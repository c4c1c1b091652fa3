// astotp unlock <user>: end a lockout, of an enrolled user and of the same
// ID's pbotp logins (those need no enrolment, so there may be no user row).
import { pbotpThrottleId } from '../../auth/pbotp-verifier.js';
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { openForCommand } from '../open.js';
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
    const { store, settings } = openForCommand(ctx, false);
    try {
      const { enrolled, pbotp } = await store.exclusive(() => ({ enrolled: store.users.unlock(id), pbotp: store.throttle.clear(pbotpThrottleId(id)) }));
      if (!enrolled && !pbotp) throw new CliFailure(`no user ${id} in ${settings.db}, and no pbotp failures of ${id} to clear`);
      return done(ctx, enrolled ? `User ${id} unlocked.` : `pbotp lockout of ${id} cleared.`, { user: id, locked_until: null, failures: 0 });
    } finally {
      store.close();
    }
  },
};
