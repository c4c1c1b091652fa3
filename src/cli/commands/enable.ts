// astotp enable <user>: allow logins of a disabled user again.
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { loginActor } from '../open.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp enable USER

Enables USER again after astotp disable.
`,
  options: {},

  async run(ctx) {
    return withUser(ctx, {}, async ({ admin, user }) => {
      if (!(await admin.enable(loginActor, user.id))) throw new CliFailure(`user ${user.id} was removed meanwhile`);
      return done(ctx, `User ${user.id} enabled.`, { user: user.id, enabled: true });
    });
  },
};
