// astotp set <user>: who a user is, beside how they log in.
import { flagOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { loginActor } from '../open.js';
import { PROFILE_HELP, PROFILE_OPTIONS, profileOptions } from '../profile-options.js';
import { done, withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp set USER [--name TEXT] [--email ADDRESS] [--language LANG]

Sets USER's name, mail address or language; what is not given stays as it
is, and an empty value ('') clears it. Logins do not use them: they are
what the web pages and invitation mails address the user by.

Options:
${PROFILE_HELP}
`,
  options: PROFILE_OPTIONS,

  async run(ctx) {
    const profile = profileOptions(ctx.args);
    if (Object.keys(profile).length === 0 && !flagOption(ctx.args, 'help')) throw new UsageError('set needs --name, --email or --language');
    return withUser(ctx, {}, async ({ admin, user }) => {
      if (!(await admin.setProfile(loginActor, user.id, profile))) throw new CliFailure(`user ${user.id} was removed meanwhile`);
      const shown = { ...user, ...profile };
      return done(ctx, `User ${user.id} updated.`, {
        user: user.id,
        name: shown.display_name,
        email: shown.email,
        language: shown.language,
      });
    });
  },
};
