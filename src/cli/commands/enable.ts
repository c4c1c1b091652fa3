// astotp enable <user>: allow logins of a disabled user again.
import { adminChange } from '../admin-audit.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp enable USER

Enables USER again after astotp disable.
`,
  options: {},

  async run(ctx) {
    return withUser(ctx, {}, async ({ store, settings, user }) => {
      if (!(await adminChange(store, 'enable', user.id, settings.pbxName, (t) => t.users.setEnabled(user.id, true))))
        throw new CliFailure(`user ${user.id} was removed meanwhile`);
      return done(ctx, `User ${user.id} enabled.`, { user: user.id, enabled: true });
    });
  },
};
