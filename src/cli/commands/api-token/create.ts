// astotp api-token create USER: a new API token of an approver, shown once.
import { expectPositionals, stringOption } from '../../args.js';
import type { Command } from '../../command.js';
import { loginActor, openForCommand } from '../../open.js';
import { checkUserId } from '../../validate.js';

export const command: Command = {
  help: `Usage: astotp api-token create USER [--label TEXT]

Makes a new API token for the approver USER, for a helpdesk tool that asks
astotp pbotp serve for responses (Authorization: Bearer TOKEN): the token
has USER's rights, and every response it gets is an audit row naming USER
and the token. The token is printed once, on stdout; the database keeps
only its hash. astotp api-token revoke ID ends it.

  --label TEXT   what the token is for, shown by api-token list
`,
  options: { label: 'string' },

  async run(ctx) {
    const [raw] = expectPositionals(ctx.args, ['user']);
    const user = checkUserId(raw!);
    const { store, authority } = await openForCommand(ctx, false);
    try {
      const { id, value } = await authority.createApiToken(loginActor, user, stringOption(ctx.args, 'label') ?? null);
      if (ctx.globals.json) ctx.out(JSON.stringify({ id, user, token: value }));
      else {
        ctx.note(`API token ${id} of ${user} (shown only now; store it in the tool's secret store):`);
        ctx.out(value);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
