// Getting a PIN from the admin: asked twice, unseen, on a terminal; one line
// from a pipe. The PIN itself never appears in any message.
import { checkPin, PIN_MIN_DIGITS } from '../auth/user-admin.js';
import { flagOption, type OptionSpec, type ParsedArgs } from './args.js';
import { askTwice } from './ask-twice.js';
import type { CliContext } from './command.js';
import { CliFailure, UsageError } from './errors.js';

export const PIN_OPTIONS: OptionSpec = { 'pin-stdin': 'boolean', 'no-pin': 'boolean' };

export const PIN_HELP = `  --pin-stdin     read the PIN as one line from standard input, without asking twice
  --no-pin        no PIN: this user can pass only through a profile with ask_pin = no`;

/** Which way the PIN comes, checked before anything else is done. */
export function pinMode(args: ParsedArgs): 'none' | 'line' | 'ask' {
  if (flagOption(args, 'no-pin') && flagOption(args, 'pin-stdin')) throw new UsageError('--no-pin and --pin-stdin exclude each other');
  return flagOption(args, 'no-pin') ? 'none' : flagOption(args, 'pin-stdin') ? 'line' : 'ask';
}

/** The new PIN, or null for none. */
export async function readNewPin(ctx: CliContext, mode: 'none' | 'line' | 'ask', maxDigits: number): Promise<string | null> {
  if (mode === 'none') return null;
  const { input } = ctx;
  if (mode === 'line' || !input.isTTY) {
    const line = input.isTTY ? await input.hidden('PIN: ', process.stderr) : await input.line();
    if (line === null || line.trim() === '') throw new CliFailure('no PIN on standard input (give it as one line, or use --no-pin)');
    return checkPin(line.trim(), maxDigits);
  }
  return askTwice(ctx, {
    question: `New PIN (${PIN_MIN_DIGITS} to ${maxDigits} digits): `,
    repeat: 'Repeat the PIN: ',
    check: (pin) => checkPin(pin, maxDigits),
    plural: 'PINs',
    none: 'no PIN was set',
  });
}
