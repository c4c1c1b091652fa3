// One loop of attempts for every kind of call (TOTP, pbotp): the try-again
// and failed prompts, the log lines, which attempt decides the call's reason,
// and when the call stops early. Each flow supplies only what one try asks.
import type { Verdict } from '../auth/verdict.js';
import { PROMPTS } from '../sounds/prompts.js';
import type { CallChannel } from './channel.js';

/** pin-unchanged: the login succeeded, but the new PIN a change_pin call asks for was not stored. */
export type CallReason = Verdict['reason'] | 'timeout' | 'hangup' | 'pin-unchanged';

/** What the flow decided. SUCCESS can only be built with reason ok and the verified user. */
export type FlowResult =
  | { ok: true; reason: 'ok'; user: string }
  | {
      ok: false;
      reason: Exclude<CallReason, 'ok'>;
      /** Who the last judged attempt was for, as logs may name it (Verdict.label). */
      user: string | null;
      /** For the audit row of the ending, what only the admin should know (why the PIN was not changed). */
      note?: string;
    };

/** What one try came to. */
export type Try =
  /** Judged and audited; `last` ends the call even when more tries are left (a fixed user who is locked). */
  | { kind: 'judged'; verdict: Verdict; last?: boolean }
  /** The caller did not type everything asked for; `why` is for the log. */
  | { kind: 'unanswered'; why: string };

export interface LoopSettings {
  tries: number;
  sounds: string;
  /** Appended to the per-try log line, e.g. ' (pbotp)'. */
  tag?: string;
  /** The user named before any try (dialplan or caller ID), for a call that ends unjudged. */
  user: string | null;
}

export async function attemptLoop(ch: CallChannel, s: LoopSettings, attempt: (n: number) => Promise<Try>): Promise<FlowResult> {
  const sound = (name: string) => `${s.sounds}/${name}`;
  // The reason is that of the last judged attempt: a locked user who then
  // stays silent is still 'locked'. Only a call with no judged attempt is 'timeout'.
  let result: FlowResult = { ok: false, reason: 'timeout', user: s.user };
  for (let n = 1; n <= s.tries; n++) {
    if (n > 1) await ch.play(sound(PROMPTS.tryAgain));
    await ch.log(`try ${n} of ${s.tries}${s.tag ?? ''}`, 3);
    const t = await attempt(n);
    if (t.kind === 'unanswered') {
      await ch.log(`try ${n}: ${t.why}`);
      continue;
    }
    const v = t.verdict;
    await ch.log(`try ${n}: user ${v.label ?? '(none: the caller ID is not a number)'}: ${v.ok ? 'SUCCESS' : `FAILURE (${v.reason})`}`);
    if (v.ok) return { ok: true, reason: 'ok', user: v.label };
    result = { ok: false, reason: v.reason, user: v.label };
    if (v.reason === 'error') return result;
    if (t.last) break;
  }
  await ch.play(sound(PROMPTS.failed));
  return result;
}

/** Digits typed after a prompt; null when the caller typed nothing at all. */
export async function ask(ch: CallChannel, prompt: string, timeoutMs: number, maxDigits: number): Promise<string | null> {
  const { digits } = await ch.getDigits(prompt, timeoutMs, maxDigits);
  return digits === '' ? null : digits;
}
