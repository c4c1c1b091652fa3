// astotp api-token revoke ID: an API token stops working at once.
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { loginActor, openForCommand } from '../../open.js';
import { done } from '../../user-arg.js';

export const command: Command = {
  help: `Usage: astotp api-token revoke ID

Ends the API token ID (api-token list shows the ids): a request bearing it
gets no response from then on. The token stays in the list as revoked.
`,
  options: {},

  async run(ctx) {
    const [raw] = expectPositionals(ctx.args, ['id']);
    if (!/^[1-9]\d{0,15}$/.test(raw!)) throw new UsageError(`"${raw}" is no API token id (api-token list shows them)`);
    const id = Number(raw);
    const { store, authority } = await openForCommand(ctx, false);
    try {
      const user = await authority.revokeApiToken(loginActor, id);
      return done(ctx, `API token ${id} of ${user} revoked.`, { id, user, revoked: true });
    } finally {
      await store.close();
    }
  },
};
