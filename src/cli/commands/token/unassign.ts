// astotp token unassign SERIAL: a fob taken back, kept for another user.
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { loginActor, openForCommand } from '../../open.js';
import { done } from '../../user-arg.js';
import { checkTokenName } from './token-arg.js';

export const command: Command = {
  help: `Usage: astotp token unassign SERIAL

Takes the key fob SERIAL from its holder: its codes open nobody's calls,
and it stays in the database, sealed for nobody, until astotp token assign
gives it to someone. An app token (app:USER) stays with its user: astotp
token disable turns it off.
`,
  options: {},

  async run(ctx) {
    const [raw] = expectPositionals(ctx.args, ['serial']);
    const serial = checkTokenName(raw!, false);
    const { store, admin } = await openForCommand(ctx, false);
    try {
      const user = await admin.unassignToken(loginActor, serial);
      return done(ctx, `Token ${serial} is nobody's now (it was ${user}'s).`, { serial, user: null, was: user });
    } finally {
      await store.close();
    }
  },
};
