// The TOTP call flow: each try asks for user ID, PIN and code (or, after a
// *, a recovery code), then judges all three at once. Every caller hears the
// same prompts in the same order whatever they typed, so the phone never
// tells which factor was wrong or whether the user exists.
import type { Context } from '../auth/verifier.js';
import type { Verdict } from '../auth/verdict.js';
import type { Settings } from '../config/settings.js';
import { PROMPTS } from '../sounds/prompts.js';
import { ask, attemptLoop, type FlowResult } from './attempt-loop.js';
import type { CallChannel } from './channel.js';
import { callContext } from './call-context.js';
import { askCode } from './code-entry.js';
import { fixedUser } from './caller-user.js';

export interface Judge {
  /** user null: the call names no possible user; judged as an unknown one. */
  judge(a: { user: string | null; pin: string | null; code: string }, ctx: Context): Promise<Verdict>;
}

export async function authenticateTotp(ch: CallChannel, s: Settings, judge: Judge, source: string): Promise<FlowResult> {
  const sound = (name: string) => `${s.sounds}/${name}`;
  const ctx = callContext(ch, source, s.pbxName);
  const fixed = fixedUser(s.user, ch.info);
  return attemptLoop(ch, { tries: s.tries, sounds: s.sounds, user: fixed?.id ?? null }, async () => {
    const typed = fixed ? null : await ask(ch, sound(PROMPTS.enterId), s.idTimeoutMs, s.idMaxDigits);
    const named = fixed !== undefined || typed !== null;
    const pin = named && s.askPin ? await ask(ch, sound(PROMPTS.enterPin), s.pinTimeoutMs, s.pinMaxDigits) : null;
    const code = named && (pin !== null || !s.askPin) ? await askCode(ch, sound(PROMPTS.enterCode), s.codeTimeoutMs, s.digits) : null;
    if (!named || code === null || (s.askPin && pin === null)) return { kind: 'unanswered', why: 'no input' };
    return { kind: 'judged', verdict: await judge.judge({ user: fixed ? fixed.id : typed, pin, code }, ctx) };
  });
}
