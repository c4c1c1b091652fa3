// The call flow: ask for user ID, PIN and code, then judge all three at once.
// Every caller hears the same prompts in the same order whatever they typed,
// so the phone never tells which factor was wrong or whether the user exists.
import type { Settings } from '../config/settings.js';
import type { Context, Verdict } from '../auth/verifier.js';
import { PROMPTS } from '../sounds/prompts.js';
import type { CallChannel } from './channel.js';
import { callContext } from './call-context.js';
import { fixedUser } from './caller-user.js';

export type CallReason = Verdict['reason'] | 'timeout' | 'hangup';

export interface FlowResult {
  ok: boolean;
  reason: CallReason;
  /** The user the last judged attempt was for, as logs may name it (Verdict.label). */
  user: string | null;
}

export interface Judge {
  /** user null: the call names no possible user; judged as an unknown one. */
  judge(a: { user: string | null; pin: string | null; code: string }, ctx: Context): Promise<Verdict>;
}

export async function authenticate(ch: CallChannel, s: Settings, judge: Judge, source: string): Promise<FlowResult> {
  const sound = (name: string) => `${s.sounds}/${name}`;
  const ctx = callContext(ch, source);
  const fixed = fixedUser(s.user, ch.info);
  // The reason is that of the last judged attempt: a locked user who then
  // stays silent is still 'locked'. Only a call with no judged attempt is 'timeout'.
  let last: FlowResult = { ok: false, reason: 'timeout', user: fixed?.id ?? null };
  for (let attempt = 1; attempt <= s.tries; attempt++) {
    if (attempt > 1) await ch.play(sound(PROMPTS.tryAgain));
    await ch.log(`try ${attempt} of ${s.tries}`, 3);
    const typed = fixed ? null : await ask(ch, sound(PROMPTS.enterId), s.idTimeoutMs, s.idMaxDigits);
    const named = fixed !== undefined || typed !== null;
    const pin = named && s.askPin ? await ask(ch, sound(PROMPTS.enterPin), s.pinTimeoutMs, s.pinMaxDigits) : null;
    const code = named && (pin !== null || !s.askPin) ? await ask(ch, sound(PROMPTS.enterCode), s.codeTimeoutMs, s.digits) : null;
    if (!named || code === null || (s.askPin && pin === null)) {
      await ch.log(`try ${attempt}: no input`);
      continue;
    }
    const user = fixed ? fixed.id : typed;
    const verdict = await judge.judge({ user, pin, code }, ctx);
    await ch.log(`try ${attempt}: user ${verdict.label ?? '(none: the caller ID is not a number)'}: ${verdict.ok ? 'SUCCESS' : `FAILURE (${verdict.reason})`}`);
    last = { ok: verdict.ok, reason: verdict.reason, user: verdict.label };
    if (verdict.ok || verdict.reason === 'error') return last;
  }
  await ch.play(sound(PROMPTS.failed));
  return last;
}

/** Digits typed after a prompt; null when the caller typed nothing at all. */
async function ask(ch: CallChannel, prompt: string, timeoutMs: number, maxDigits: number): Promise<string | null> {
  const { digits } = await ch.getDigits(prompt, timeoutMs, maxDigits);
  return digits === '' ? null : digits;
}
