// One call from start to finish on any transport: settings, database, the
// flow, and the channel variables the dialplan reads. ASTOTP=SUCCESS is the
// very last thing set, and only after a verified attempt.
import type { Clock } from '../auth/clock.js';
import { openCallAuth, type Auth } from '../auth/open-auth.js';
import { applyCallArguments } from '../config/call-args.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { HangupError, type CallChannel } from './channel.js';
import { recordVerdict } from '../auth/record-verdict.js';
import { callContext } from './call-context.js';
import { callerIdInjects } from './caller-user.js';
import { authenticate, type CallReason, type FlowResult } from './flow.js';
import { pbotpCall, type PbotpCall } from './pbotp-settings.js';

export interface CallOutcome {
  ok: boolean;
  reason: CallReason;
  user: string | null;
  /** A sentence for the admin when reason is 'error'; never holds typed digits. */
  error: string | null;
}

export interface RunOptions {
  source: string;
  /** Settings before the call's own arguments; defaults to loadSettings(). */
  settings?: () => Settings;
  /** Borrows the open database (FastAGI's shared one); otherwise one is opened and closed per call. */
  auth?: () => Promise<Auth>;
  /**
   * The clock of the call's rules and audit rows when the database is opened
   * here (a borrowed auth brings its own); the system clock by default. For
   * tests: never taken from the environment, which a dialplan can set.
   */
  now?: Clock;
}

export async function runCall(ch: CallChannel, opts: RunOptions): Promise<CallOutcome> {
  let auth: Auth | undefined;
  let outcome: CallOutcome;
  try {
    const site = (opts.settings ?? loadSettings)();
    // Opened first so that a refused call leaves its audit row too; no profile or argument changes the database.
    const a = (auth = opts.auth ? await opts.auth() : await openCallAuth(site, opts.now));
    // Whatever the dialplan says: such a caller ID may already have added arguments.
    if (callerIdInjects(ch.info)) throw new Error('call refused: the caller ID contains , & = or |, which no phone number does (argument injection?)');
    const s = applyCallArguments(site, ch.info.args);
    // Checked before the channel is answered: a pbotp call without its settings fails closed, unanswered.
    const pbotp = s.mode === 'pbotp' ? pbotpCall(s) : null;
    if (s.answer) await ch.answer();
    const r: FlowResult = pbotp ? await pbotpFlow(ch, s, pbotp, a, opts.source) : await authenticate(ch, s, a.verifier, opts.source);
    outcome = { ...r, error: null };
  } catch (err) {
    outcome =
      err instanceof HangupError
        ? { ok: false, reason: 'hangup', user: null, error: null }
        : { ok: false, reason: 'error', user: null, error: describe(err) };
  }
  if (auth && !['ok', 'bad-credentials', 'locked'].includes(outcome.reason)) auditEnding(auth, ch, opts.source, outcome, outcome.error);
  const reported = await report(ch, outcome);
  // The rows so far say how the call went; this one that the dialplan never learnt it.
  if (auth && reported !== outcome) auditEnding(auth, ch, opts.source, reported, `${outcome.reason} not reported: ${reported.error ?? 'caller hung up'}`);
  if (auth && !opts.auth) auth.store.close();
  return reported;
}

/** Loaded only for pbotp calls: a TOTP call never evaluates the challenge-response code (X25519, BLAKE2s). */
async function pbotpFlow(ch: CallChannel, s: Settings, call: PbotpCall, a: Auth, source: string): Promise<FlowResult> {
  const [{ authenticatePbotp }, { PbotpVerifier }] = await Promise.all([import('./pbotp-flow.js'), import('../auth/pbotp-verifier.js')]);
  return authenticatePbotp(ch, s, call, new PbotpVerifier(a.store, a.key.idMask, s, a.now), source);
}

/**
 * Sets the variables the dialplan reads and returns the outcome it was told.
 * A hangup or protocol error before every variable was acknowledged makes
 * that a FAILURE (hangup or error): SUCCESS counts only once its own SET
 * VARIABLE was acknowledged.
 */
export async function report(ch: CallChannel, o: CallOutcome): Promise<CallOutcome> {
  let told = o;
  for (const [name, value] of variables(o)) {
    try {
      await ch.setVariable(name, value);
    } catch (err) {
      told = cutShort(o, err);
      // What was set so far, and a SUCCESS that may have taken without its
      // answer, belong to the old outcome: the new one in full, as far as the
      // transport still takes variables (a dead channel does, briefly).
      for (const [n, v] of [...(o.ok ? [['ASTOTP', 'FAILURE'] as const] : []), ...variables(told)]) await ch.setVariable(n, v).catch(() => {});
      break;
    }
  }
  if (told.error) await ch.log(`error: ${told.error}`, 0);
  await ch.log(`result ${told.ok ? 'SUCCESS' : 'FAILURE'} (${told.reason})${told.ok ? ` for user ${told.user}` : ''}`, 1);
  return told;
}

/** In the order they are set: ASTOTP=SUCCESS last, so nothing after it can fail the call half-way. */
function variables(o: CallOutcome): Array<readonly [string, string]> {
  return [
    ['ASTOTP_REASON', o.reason],
    ['ASTOTP_USER', o.ok && o.user ? o.user : ''],
    ...(o.error ? [['ASTOTP_ERROR', o.error] as const] : []),
    ...(o.ok ? [['ASTOTP', 'SUCCESS'] as const] : []),
  ];
}

/** A call that already ended in a hangup or an error keeps that first cause. */
function cutShort(o: CallOutcome, err: unknown): CallOutcome {
  if (o.reason === 'hangup' || o.reason === 'error') return o;
  return err instanceof HangupError
    ? { ok: false, reason: 'hangup', user: o.user, error: null }
    : { ok: false, reason: 'error', user: o.user, error: describe(err) };
}

function auditEnding(auth: Auth, ch: CallChannel, source: string, o: CallOutcome, detail: string | null): void {
  // One try, never a wait (a call's connection has no busy handler): when the
  // call failed on a busy database it has waited its db_timeout already, and
  // losing this one row is better than keeping the channel waiting again.
  try {
    recordVerdict(auth.store, o.user, callContext(ch, source), auth.now(), { ok: false, reason: o.reason, detail });
  } catch {
    // The call's outcome matters more than its log line; a broken database was already reported.
  }
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').slice(0, 300);
}
