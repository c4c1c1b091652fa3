// astotp set-pin <user>: a new PIN, or none.
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { loginActor } from '../open.js';
import { PIN_HELP, PIN_OPTIONS, pinMode, readNewPin } from '../pin-input.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp set-pin USER [--pin-stdin | --no-pin]

Sets USER's PIN: asked twice, unseen, on a terminal; the first line of
standard input otherwise.

Options:
${PIN_HELP}
`,
  options: PIN_OPTIONS,

  async run(ctx) {
    const mode = pinMode(ctx.args);
    return withUser(ctx, {}, async ({ admin, settings, user }) => {
      const pin = await readNewPin(ctx, mode, settings.pinMaxDigits);
      if (!(await admin.setPin(loginActor, user.id, pin))) throw new CliFailure(`user ${user.id} was removed meanwhile`);
      const message =
        pin === null ? `User ${user.id} has no PIN now: it passes only through a profile with ask_pin = no.` : `PIN of ${user.id} changed.`;
      return done(ctx, message, { user: user.id, pin: pin !== null });
    });
  },
};
