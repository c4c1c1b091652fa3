// astotp token list [USER]: every token, or one user's, and where each stands.
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { json, table } from '../../format.js';
import { openForCommand } from '../../open.js';
import { TOKEN_HEADER, tokenRow, tokenView } from '../../token-view.js';
import { checkUserId } from '../../validate.js';

export const command: Command = {
  help: `Usage: astotp token list [USER] [--json]

Lists the tokens: users' apps (app:USER) and key fobs, with their kind,
holder (- for a fob nobody holds yet), code length and algorithm, where
they stand (an HOTP fob's counter; a TOTP fob's clock, when logins or a
resync found it off this PBX's), their last use and whether they are
enabled. With USER, only that user's. Times are UTC; --json gives them in
ISO 8601.
`,
  options: {},

  async run(ctx) {
    const [raw] = expectPositionals(ctx.args, ['user'], 1);
    const user = raw === undefined ? undefined : checkUserId(raw);
    const { store } = await openForCommand(ctx, false);
    try {
      const tokens = await store.read((t) => t.tokens.list(user));
      if (ctx.globals.json) ctx.out(json(tokens.map(tokenView)));
      else if (tokens.length === 0) ctx.note(user === undefined ? 'No tokens yet.' : `User ${user} holds no token.`);
      else ctx.out(table(TOKEN_HEADER, tokens.map(tokenRow)));
      return 0;
    } finally {
      await store.close();
    }
  },
};
