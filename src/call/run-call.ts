// One call from start to finish on any transport: settings, database, the
// flow, and the channel variables the dialplan reads. ASTOTP=SUCCESS is the
// very last thing set, and only after a verified attempt.
import type { Clock } from '../auth/clock.js';
import { openCallAuth, type AuthContext } from '../auth/open-auth.js';
import { applyCallArguments } from '../config/call-args.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { CallChannel } from './channel.js';
import { recordAuditEntry } from '../auth/audit-entry.js';
import { callContext } from './call-context.js';
import { callerIdInjects } from './caller-user.js';
import { endedBy, report, type CallOutcome } from './dialplan-result.js';
import type { FlowResult } from './attempt-loop.js';
import { authenticateTotp } from './totp-flow.js';
import { pbotpCall, type PbotpCall } from './pbotp-settings.js';

export interface RunOptions {
  source: string;
  /** Settings before the call's own arguments; defaults to loadSettings(). */
  settings?: () => Settings;
  /** Borrows the open database (FastAGI's shared one); otherwise one is opened and closed per call. */
  auth?: () => Promise<AuthContext>;
  /**
   * The clock of the call's rules and audit rows when the database is opened
   * here (a borrowed auth brings its own); the system clock by default. For
   * tests: never taken from the environment, which a dialplan can set.
   */
  now?: Clock;
}

export async function runCall(ch: CallChannel, opts: RunOptions): Promise<CallOutcome> {
  let auth: AuthContext | undefined;
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
    const r: FlowResult = pbotp ? await pbotpFlow(ch, s, pbotp, a, opts.source) : await authenticateTotp(ch, s, a.verifier, opts.source);
    outcome = { ...r, error: null };
  } catch (err) {
    outcome = endedBy(err);
  }
  if (auth && !['ok', 'bad-credentials', 'locked'].includes(outcome.reason)) auditEnding(auth, ch, opts.source, outcome, outcome.error);
  const reported = await report(ch, outcome);
  // The rows so far say how the call went; this one that the dialplan never learnt it.
  if (auth && reported !== outcome) auditEnding(auth, ch, opts.source, reported, `${outcome.reason} not reported: ${reported.error ?? 'caller hung up'}`);
  if (auth && !opts.auth) auth.store.close();
  return reported;
}

/** Loaded only for pbotp calls: a TOTP call never evaluates the challenge-response code (X25519, BLAKE2s). */
async function pbotpFlow(ch: CallChannel, s: Settings, call: PbotpCall, a: AuthContext, source: string): Promise<FlowResult> {
  const [{ authenticatePbotp }, { PbotpVerifier }] = await Promise.all([import('./pbotp-flow.js'), import('../auth/pbotp-verifier.js')]);
  return authenticatePbotp(ch, s, call, new PbotpVerifier(a.store, a.key.idMask, s, a.now), source);
}

function auditEnding(auth: AuthContext, ch: CallChannel, source: string, o: CallOutcome, detail: string | null): void {
  // One try, never a wait (a call's connection has no busy handler): when the
  // call failed on a busy database it has waited its db_timeout already, and
  // losing this one row is better than keeping the channel waiting again.
  try {
    recordAuditEntry(auth.store, o.user, callContext(ch, source), auth.now(), { ok: false, reason: o.reason, detail });
  } catch {
    // The call's outcome matters more than its log line; a broken database was already reported.
  }
}

