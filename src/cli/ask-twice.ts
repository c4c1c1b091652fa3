// A new secret typed unseen on a terminal (a PIN, a backup's passphrase):
// asked twice, so that a typo is not what gets set, a few rounds at most.
import type { CliContext } from './command.js';
import { CliFailure } from './errors.js';
import { errorMessage } from '../text/error-message.js';

const ROUNDS = 3;

export interface AskTwice {
  question: string;
  repeat: string;
  /** Throws, with a message that never repeats what was typed, when the first answer breaks the rules. */
  check(typed: string): void;
  /** What the two different answers are called: "PINs". */
  plural: string;
  /** The failure once the rounds are over, or on Ctrl-D. */
  none: string;
}

export async function askTwice(ctx: CliContext, a: AskTwice): Promise<string> {
  for (let round = 1; round <= ROUNDS; round++) {
    const first = await ctx.input.hidden(a.question, process.stderr);
    if (first === null) break;
    try {
      a.check(first);
    } catch (err) {
      ctx.note(errorMessage(err));
      continue;
    }
    const second = await ctx.input.hidden(a.repeat, process.stderr);
    if (second === null) break;
    if (second === first) return first;
    ctx.note(`The two ${a.plural} differ.`);
  }
  throw new CliFailure(a.none);
}
