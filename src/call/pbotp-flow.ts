// The pbotp call flow: the user ID (the login the authority signs; the PBX
// holds nothing per user, so there is no enrolment and no PIN), then per try
// a fresh challenge read out for the caller to relay, and one check of the
// response code typed back. A new try always means a new nonce.
import type { Context, Verdict } from '../auth/verifier.js';
import type { Settings } from '../config/settings.js';
import { startAttempt, type PbotpAttempt } from '../pbotp/attempt.js';
import { PROMPTS } from '../sounds/prompts.js';
import { HangupError, type CallChannel } from './channel.js';
import { callContext } from './call-context.js';
import { fixedUser } from './caller-user.js';
import { readChallengeAndAsk } from './challenge-reading.js';
import type { FlowResult } from './flow.js';
import type { PbotpCall } from './pbotp-settings.js';

export interface PbotpJudge {
  /** How logs name a login that no right response has proved. */
  label(user: string): string;
  /** A 'locked' verdict when the user may not try now, else null. */
  refuseIfLocked(user: string, ctx: Context): Promise<Verdict | null>;
  /** The audited verdict for a call that names no possible user (caller ID not a number). */
  refuseNoUser(ctx: Context): Promise<Verdict>;
  /** Checks `typed` against the attempt, which is used up either way. */
  judge(user: string, attempt: PbotpAttempt, typed: string, digits: number, ctx: Context): Promise<Verdict>;
}

export async function authenticatePbotp(ch: CallChannel, s: Settings, p: PbotpCall, judge: PbotpJudge, source: string): Promise<FlowResult> {
  const sound = (name: string) => `${s.sounds}/${name}`;
  const ctx = callContext(ch, source);
  const fixed = fixedUser(s.user, ch.info);
  if (fixed?.id === null) {
    // No challenge can be made for a login that names nobody.
    await ch.log('no user ID: the caller ID is not a number');
    const verdict = await judge.refuseNoUser(ctx);
    await ch.play(sound(PROMPTS.failed));
    return { ok: false, reason: verdict.reason, user: null };
  }
  let last: FlowResult = { ok: false, reason: 'timeout', user: fixed?.id ?? null };
  for (let attempt = 1; attempt <= s.tries; attempt++) {
    if (attempt > 1) await ch.play(sound(PROMPTS.tryAgain));
    await ch.log(`try ${attempt} of ${s.tries} (pbotp)`, 3);
    const user = fixed ? fixed.id : (await ch.getDigits(sound(PROMPTS.enterId), s.idTimeoutMs, s.idMaxDigits)).digits || null;
    if (user === null) {
      await ch.log(`try ${attempt}: no input`);
      last = { ok: false, reason: 'timeout', user };
      continue;
    }
    const locked = await judge.refuseIfLocked(user, ctx);
    if (locked) {
      await ch.log(`try ${attempt}: user ${locked.label}: FAILURE (locked)`);
      last = { ok: false, reason: locked.reason, user: locked.label };
      // The dialplan's user stays locked whatever the caller does next.
      if (fixed) break;
      continue;
    }
    const challenge = startAttempt(p.serverPub, { group: p.group, host: p.host, user });
    if (p.url !== null) await offerLink(ch, challenge.url(p.url));
    const typed = await readChallengeAndAsk(ch, challenge.digitGroups, { sound, digits: p.digits, timeoutMs: p.timeoutMs });
    if (typed === null) {
      await ch.log(`try ${attempt}: no response code`);
      last = { ok: false, reason: 'timeout', user: judge.label(user) };
      continue;
    }
    const verdict = await judge.judge(user, challenge, typed, p.digits, ctx);
    await ch.log(`try ${attempt}: user ${verdict.label}: ${verdict.ok ? 'SUCCESS' : `FAILURE (${verdict.reason})`}`);
    last = { ok: verdict.ok, reason: verdict.reason, user: verdict.label };
    if (verdict.ok || verdict.reason === 'error') return last;
  }
  await ch.play(sound(PROMPTS.failed));
  return last;
}

/** The challenge link for phones that show text; a phone that cannot is no failure. */
async function offerLink(ch: CallChannel, url: string): Promise<void> {
  if (!ch.sendText) return;
  try {
    if (!(await ch.sendText(url))) await ch.log('the challenge link could not be sent as text', 3);
  } catch (err) {
    if (err instanceof HangupError) throw err;
    await ch.log(`the challenge link could not be sent as text: ${(err as Error).message}`, 3);
  }
}
