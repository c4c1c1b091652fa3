// One call's flow from its settings to its report, on any transport:
// database, arguments, the TOTP or pbotp flow, then the channel variables
// the dialplan reads. ASTOTP=SUCCESS is the very last thing set, and only
// after a verified attempt. serve-call.ts runs this for every entry point.
import { type CallAuth, openCallAuth } from '../auth/call-auth.js';
import type { AccountEvent } from '../auth/account-events.js';
import type { Clock } from '../auth/clock.js';
import type { Attempt, Context } from '../auth/verifier.js';
import { applyCallArguments } from '../config/call-args.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { FlowResult } from './attempt-loop.js';
import { callContext } from './call-context.js';
import { callerIdInjects } from './caller-user.js';
import type { CallChannel } from './channel.js';
import { type CallOutcome, endedBy, report } from './dialplan-result.js';
import { pbotpCall } from './pbotp-settings.js';
import { authenticateTotp } from './totp-flow.js';

export interface RunOptions {
  source: string;
  /** Settings before the call's own arguments; defaults to loadSettings(). */
  settings?: () => Settings;
  /** Borrows what the call judges with (FastAGI's shared database); otherwise it is opened and closed per call. */
  auth?: () => Promise<CallAuth>;
  /**
   * The clock of the call's rules and audit rows when the database is opened
   * here (a borrowed auth brings its own); the system clock by default. For
   * tests: never taken from the environment, which a dialplan can set.
   */
  now?: Clock;
  /**
   * Set when the transport already stopped making sense before the flow
   * (Asterisk sent a line that answers no command): the call only ends, as
   * an error with its audit row, and asks nothing.
   */
  broken?: unknown;
}

export async function runCall(ch: CallChannel, opts: RunOptions): Promise<CallOutcome> {
  let auth: CallAuth | undefined;
  let site: Settings | undefined;
  let outcome: CallOutcome;
  const events: AccountEvent[] = [];
  /** The user a login verified, for an ending after it (a hangup while a new PIN is typed). */
  let verified: string | null = null;
  try {
    site = (opts.settings ?? loadSettings)();
    // Opened first so that a refused call leaves its audit row too; no profile or argument changes the database.
    const a = (auth = opts.auth ? await opts.auth() : await openCallAuth(site, { now: opts.now }));
    if (opts.broken !== undefined) throw opts.broken;
    // Whatever the dialplan says: such a caller ID may already have added arguments.
    if (callerIdInjects(ch.info))
      throw new Error('call refused: the caller ID contains , & = or |, which no phone number does (argument injection?)');
    const s = applyCallArguments(site, ch.info.args);
    // Checked before the channel is answered: a pbotp call without its settings fails closed, unanswered.
    const pbotp = s.mode === 'pbotp' ? pbotpCall(s) : null;
    if (s.answer) await ch.answer();
    // Events are kept as each attempt is judged: a caller who hangs up later must not lose them.
    const judge = {
      judge: async (attempt: Attempt, ctx: Context) => {
        const v = await a.judge(attempt, ctx);
        if (v.events) events.push(...v.events);
        return v;
      },
    };
    const r: FlowResult = pbotp
      ? await (await import('./pbotp-flow.js')).authenticatePbotp(ch, s, pbotp, await a.pbotp(), opts.source)
      : await authenticateTotp(ch, s, judge, opts.source);
    if (r.ok) verified = r.user;
    // A profile with change_pin: SUCCESS only once the verified caller's new PIN is stored.
    const done =
      r.ok && s.changePin && !pbotp
        ? await (await import('./pin-change.js')).changePinByPhone(ch, s, a, r.user, callContext(ch, opts.source, s.pbxName))
        : r;
    outcome = { ...done, error: null };
  } catch (err) {
    outcome = endedBy(err, verified);
  }
  const ctx = callContext(ch, opts.source, site?.pbxName ?? '');
  if (auth && !['ok', 'bad-credentials', 'locked'].includes(outcome.reason))
    await auth.recordEnding(outcome.user, ctx, {
      ok: false,
      reason: outcome.reason,
      detail: outcome.ok ? null : (outcome.error ?? outcome.note ?? null),
    });
  const reported = await report(ch, outcome);
  // The rows so far say how the call went; this one that the dialplan never learnt it.
  if (auth && reported !== outcome) {
    const detail = `${outcome.reason} not reported: ${reported.error ?? 'caller hung up'}${!reported.ok && reported.astotp ? `; ${reported.astotp}` : ''}`;
    await auth.recordEnding(reported.user, ctx, { ok: false, reason: reported.reason, detail });
  }
  if (auth && !opts.auth) await auth.close();
  return events.length ? { ...reported, events } : reported;
}
