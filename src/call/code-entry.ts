// The code prompt: a TOTP code, or * and a recovery code. GET DATA still
// stops at the site's digits, so a TOTP code ends on its last key as it
// always did; only an entry that starts with * and fills the prompt is read
// on, with no prompt, for the rest of the recovery code.
import { RECOVERY_DIGITS, RECOVERY_PREFIX } from '../auth/recovery-code-rules.js';
import type { CallChannel } from './channel.js';

const RECOVERY_ENTRY = RECOVERY_PREFIX.length + RECOVERY_DIGITS;

/** What was typed at the code prompt; null when nothing was. */
export async function askCode(ch: CallChannel, prompt: string, timeoutMs: number, digits: number): Promise<string | null> {
  const first = await ch.getDigits(prompt, timeoutMs, digits);
  if (first.digits === '') return null;
  // Ended by # or by silence: that is all the caller meant to type.
  const more = first.digits.startsWith(RECOVERY_PREFIX) && !first.timedOut && first.digits.length === digits && digits < RECOVERY_ENTRY;
  if (!more) return first.digits;
  return first.digits + (await ch.getDigits('', timeoutMs, RECOVERY_ENTRY - digits)).digits;
}
