// astotp token disable|enable SERIAL: one token turned off or on again, its
// holder's other tokens left as they are.
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { loginActor, openForCommand } from '../../open.js';
import { done } from '../../user-arg.js';
import { checkTokenName } from './token-arg.js';

export function tokenStateCommand(enabled: boolean): Command {
  const word = enabled ? 'enable' : 'disable';
  return {
    help: `Usage: astotp token ${word} SERIAL

${
  enabled
    ? "Enables the token SERIAL, a key fob's serial or a user's app (app:USER):\nits codes open the holder's calls again."
    : "Disables the token SERIAL, a key fob's serial or a user's app (app:USER):\nevery code of it is refused (a lost fob or phone); the user's other tokens\nstill work."
}
`,
    options: {},

    async run(ctx) {
      const [raw] = expectPositionals(ctx.args, ['serial']);
      const serial = checkTokenName(raw!, true);
      const { store, admin } = await openForCommand(ctx, false);
      try {
        await admin.setTokenEnabled(loginActor, serial, enabled);
        return done(ctx, `Token ${serial} ${word}d.`, { serial, enabled });
      } finally {
        await store.close();
      }
    },
  };
}
