// astotp set-pin <user>: a new PIN, or none.
import { hashPin } from '../../auth/pin-hash.js';
import { adminChange } from '../admin-audit.js';
import type { StoreTx } from '../../store/tables.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
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
    return withUser(ctx, {}, async ({ store, key, settings, user }) => {
      const pin = await readNewPin(ctx, mode, settings.pinMaxDigits);
      const hash = pin === null ? null : await hashPin(key.pinPepper, user.id, pin);
      const changed = (t: StoreTx) => t.users.setPin(user.id, hash);
      if (!(await adminChange(store, 'set-pin', user.id, settings.pbxName, changed, pin === null ? 'no PIN' : undefined)))
        throw new CliFailure(`user ${user.id} was removed meanwhile`);
      const message =
        pin === null ? `User ${user.id} has no PIN now: it passes only through a profile with ask_pin = no.` : `PIN of ${user.id} changed.`;
      return done(ctx, message, { user: user.id, pin: pin !== null });
    });
  },
};
