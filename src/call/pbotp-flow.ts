// The pbotp call flow: the user ID (the login the authority signs; the PBX
// holds nothing per user, so there is no enrollment and no PIN), then per try
// a fresh challenge read out for the caller to relay, and one check of the
// response code typed back. A new try always means a new nonce.
import type { Context } from '../auth/verifier.js';
import type { Verdict } from '../auth/verdict.js';
import type { Settings } from '../config/settings.js';
import { startAttempt, type PbotpAttempt } from '../pbotp/attempt.js';
import { PROMPTS } from '../sounds/prompts.js';
import { HangupError, type CallChannel } from './channel.js';
import { callContext } from './call-context.js';
import { fixedUser } from './caller-user.js';
import { readChallengeAndAsk } from './challenge-reading.js';
import { ask, attemptLoop, type FlowResult } from './attempt-loop.js';
import type { PbotpCall } from './pbotp-settings.js';
import { errorMessage } from '../text/error-message.js';

export interface PbotpJudge {
  /** A 'locked' verdict when the user may not try now, else null. */
  refuseIfLocked(user: string, ctx: Context): Promise<Verdict | null>;
  /** The audited verdict for a call that names no possible user (caller ID not a number). */
  refuseNoUser(ctx: Context): Promise<Verdict>;
  /** Checks `typed` against the attempt, which is used up either way. */
  judge(user: string, attempt: PbotpAttempt, typed: string, digits: number, ctx: Context): Promise<Verdict>;
}

export async function authenticatePbotp(
  ch: CallChannel,
  s: Settings,
  p: PbotpCall,
  judge: PbotpJudge,
  source: string,
): Promise<FlowResult> {
  const sound = (name: string) => `${s.sounds}/${name}`;
  const ctx = callContext(ch, source, s.pbxName);
  const fixed = fixedUser(s.user, ch.info);
  return attemptLoop(ch, { tries: s.tries, sounds: s.sounds, tag: ' (pbotp)', user: fixed?.id ?? null }, async () => {
    // No challenge can be made for a login that names nobody.
    if (fixed?.id === null) return { kind: 'judged', verdict: await judge.refuseNoUser(ctx), last: true };
    const user = fixed ? fixed.id : await ask(ch, sound(PROMPTS.enterId), s.idTimeoutMs, s.idMaxDigits);
    if (user === null) return { kind: 'unanswered', why: 'no input' };
    const locked = await judge.refuseIfLocked(user, ctx);
    // The dialplan's user stays locked whatever the caller does next.
    if (locked) return { kind: 'judged', verdict: locked, last: fixed !== undefined };
    const challenge = startAttempt(p.serverPub, { group: p.group, host: p.host, user });
    if (p.url !== null) await offerLink(ch, challenge.url(p.url));
    const typed = await readChallengeAndAsk(ch, challenge.digitGroups, { sound, digits: p.digits, timeoutMs: p.timeoutMs });
    if (typed === null) return { kind: 'unanswered', why: 'no response code' };
    return { kind: 'judged', verdict: await judge.judge(user, challenge, typed, p.digits, ctx) };
  });
}

/** The challenge link for phones that show text; a phone that cannot is no failure. */
async function offerLink(ch: CallChannel, url: string): Promise<void> {
  if (!ch.sendText) return;
  try {
    if (!(await ch.sendText(url))) await ch.log('the challenge link could not be sent as text', 3);
  } catch (err) {
    if (err instanceof HangupError) throw err;
    await ch.log(`the challenge link could not be sent as text: ${errorMessage(err)}`, 3);
  }
}
