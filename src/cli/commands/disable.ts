// astotp disable <user>: refuse all logins of a user.
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { loginActor } from '../open.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp disable USER

Disables USER: every call for it fails (bad-credentials), whatever is typed.
The secret, PIN and audit log are kept; astotp enable USER undoes it.
`,
  options: {},

  async run(ctx) {
    return withUser(ctx, {}, async ({ admin, user }) => {
      if (!(await admin.disable(loginActor, user.id))) throw new CliFailure(`user ${user.id} was removed meanwhile`);
      return done(ctx, `User ${user.id} disabled.`, { user: user.id, enabled: false });
    });
  },
};
