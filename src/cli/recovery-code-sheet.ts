// What enroll, recovery and import share about recovery codes: how many to
// make and how they are shown (once: only their HMACs are kept).
import { DEFAULT_RECOVERY_CODES, MAX_RECOVERY_CODES, RECOVERY_PREFIX } from '../auth/recovery-code-rules.js';
import { intOption, type ParsedArgs } from './args.js';
import type { CliContext } from './command.js';

export function recoveryCountOption(args: ParsedArgs, name: string, fallback = DEFAULT_RECOVERY_CODES): number {
  return intOption(args, name, 0, MAX_RECOVERY_CODES) ?? fallback;
}

export function recoveryCountHelp(name: string, fallback = DEFAULT_RECOVERY_CODES): string {
  return `${`  --${name} N`.padEnd(23)}recovery codes to make, 0 to ${MAX_RECOVERY_CODES} (default ${fallback})`;
}

/** How a caller uses the codes, and that they are said once, as nothing can show them again. */
export const RECOVERY_CODES_USE = `each good for one call: at the code prompt, type ${RECOVERY_PREFIX} and then one of them.`;
export const RECOVERY_CODES_ONCE = 'Keep them apart from the phone; they are not shown again (astotp recovery makes a new set).';

/** The codes on stdout, with how a caller uses them; said once, as nothing can show them again. */
export function printRecoveryCodes(ctx: CliContext, user: string, codes: string[]): void {
  if (codes.length === 0) return void ctx.out(`User ${user} has no recovery codes.`);
  ctx.out(`Recovery codes for ${user}, ${RECOVERY_CODES_USE}`);
  ctx.out(RECOVERY_CODES_ONCE);
  for (const c of codes) ctx.out(`  ${c}`);
}
