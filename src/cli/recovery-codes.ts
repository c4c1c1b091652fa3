// What enroll and recovery share about recovery codes: how many to make and
// how they are shown (once: only their HMACs are kept).
import { DEFAULT_RECOVERY_CODES, MAX_RECOVERY_CODES, RECOVERY_PREFIX } from '../auth/recovery-codes.js';
import { intOption, type ParsedArgs } from './args.js';
import type { CliContext } from './command.js';

export function recoveryCountOption(args: ParsedArgs, name: string): number {
  return intOption(args, name, 0, MAX_RECOVERY_CODES) ?? DEFAULT_RECOVERY_CODES;
}

export function recoveryCountHelp(name: string): string {
  return `${`  --${name} N`.padEnd(23)}recovery codes to make, 0 to ${MAX_RECOVERY_CODES} (default ${DEFAULT_RECOVERY_CODES})`;
}

/** The codes on stdout, with how a caller uses them; said once, as nothing can show them again. */
export function printRecoveryCodes(ctx: CliContext, user: string, codes: string[]): void {
  if (codes.length === 0) return void ctx.out(`User ${user} has no recovery codes.`);
  ctx.out(`Recovery codes for ${user}, each good for one call: at the code prompt, type ${RECOVERY_PREFIX} and then one of them.`);
  ctx.out('Keep them apart from the phone; they are not shown again (astotp recovery makes a new set).');
  for (const c of codes) ctx.out(`  ${c}`);
}
