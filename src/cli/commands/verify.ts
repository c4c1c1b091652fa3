// astotp verify <user> <code>: judges a code exactly as a call without PIN
// would, so it uses up the code and counts towards lockout.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { openForCommand } from '../open.js';
import { checkCodeFormat, checkUserId } from '../validate.js';

export const command: Command = {
  help: `Usage: astotp verify USER CODE [--json]

Checks CODE for USER like a call that does not ask for the PIN: an accepted
code cannot be used again, and failures count towards the lockout. Prints
SUCCESS or FAILURE (reason); exits 0 or 1. The admin-only detail (which
check failed) goes to standard error and the audit log.
`,
  options: {},

  async run(ctx) {
    const [rawUser, rawCode] = expectPositionals(ctx.args, ['user', 'code']);
    const user = checkUserId(rawUser!);
    const code = checkCodeFormat(rawCode!);
    const { store, verifier, settings } = await openForCommand(ctx, false);
    try {
      const v = await verifier.judge({ user, pin: null, code }, { source: 'cli', pbx: settings.pbxName });
      if (ctx.globals.json) ctx.out(JSON.stringify({ user, result: v.ok ? 'SUCCESS' : 'FAILURE', reason: v.reason, detail: v.detail }));
      else {
        ctx.out(v.ok ? 'SUCCESS' : `FAILURE (${v.reason})`);
        ctx.note(`detail: ${v.detail}`);
      }
      return v.ok ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
