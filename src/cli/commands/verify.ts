// astotp verify <user> <code>: judges a code exactly as a call without PIN
// would, so it uses up the code and counts towards lockout.
import { RECOVERY_DIGITS, RECOVERY_PREFIX, recoveryCodeOf } from '../../auth/recovery-code-rules.js';
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { openForCommand } from '../open.js';
import { checkCodeFormat, checkUserId } from '../validate.js';

export const command: Command = {
  help: `Usage: astotp verify USER CODE [--json]

Checks CODE for USER like a call that does not ask for the PIN: an accepted
code cannot be used again, and failures count towards the lockout. CODE may
be a recovery code after a *, quoted for the shell ('*12345678'): accepted,
it is used up like one typed on the phone. Prints
SUCCESS or FAILURE (reason); exits 0 or 1. The admin-only detail (which
check failed) goes to standard error and the audit log.
`,
  options: {},

  async run(ctx) {
    const [rawUser, rawCode] = expectPositionals(ctx.args, ['user', 'code']);
    const user = checkUserId(rawUser!);
    const code = recoveryCodeOf(rawCode!) === null ? checkCodeFormat(rawCode!) : checkRecoveryFormat(rawCode!);
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

function checkRecoveryFormat(typed: string): string {
  const code = recoveryCodeOf(typed) ?? '';
  if (code.length !== RECOVERY_DIGITS || !/^\d+$/.test(code))
    throw new UsageError(`a recovery code is ${RECOVERY_PREFIX} and ${RECOVERY_DIGITS} digits`);
  return typed;
}
