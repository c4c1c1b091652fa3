// astotp disable <user>: refuse all logins of a user.
import { adminChange } from '../admin-audit.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp disable USER

Disables USER: every call for it fails (bad-credentials), whatever is typed.
The secret, PIN and audit log are kept; astotp enable USER undoes it.
`,
  options: {},

  async run(ctx) {
    return withUser(ctx, {}, async ({ store, settings, user }) => {
      if (!(await adminChange(store, 'disable', user.id, settings.pbxName, (t) => t.users.setEnabled(user.id, false))))
        throw new CliFailure(`user ${user.id} was removed meanwhile`);
      return done(ctx, `User ${user.id} disabled.`, { user: user.id, enabled: false });
    });
  },
};
