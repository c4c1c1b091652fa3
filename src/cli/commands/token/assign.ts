// astotp token assign SERIAL USER: a fob nobody holds goes to a user.
import { MAX_TOKENS_PER_USER } from '../../../auth/tokens.js';
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { loginActor, openForCommand } from '../../open.js';
import { done } from '../../user-arg.js';
import { checkUserId } from '../../validate.js';
import { checkTokenName } from './token-arg.js';

export const command: Command = {
  help: `Usage: astotp token assign SERIAL USER

Gives the key fob SERIAL, which nobody holds, to USER: from then on a code
of it opens USER's calls, beside USER's other tokens. Its secret is sealed
again for its new holder. A user holds at most ${MAX_TOKENS_PER_USER} tokens; a fob whose codes
are longer than digits in astotp.conf is refused.
`,
  options: {},

  async run(ctx) {
    const [rawSerial, rawUser] = expectPositionals(ctx.args, ['serial', 'user']);
    const serial = checkTokenName(rawSerial!, false);
    const user = checkUserId(rawUser!);
    const { store, admin } = await openForCommand(ctx, false);
    try {
      await admin.assignToken(loginActor, serial, user);
      return done(ctx, `Token ${serial} is ${user}'s.`, { serial, user });
    } finally {
      await store.close();
    }
  },
};
