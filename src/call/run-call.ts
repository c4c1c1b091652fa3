// One call from start to finish on any transport: settings, database, the
// flow, and the channel variables the dialplan reads. ASTOTP=SUCCESS is the
// very last thing set, and only after a verified attempt.
import type { Clock } from '../auth/clock.js';
import { openCallAuth, type AuthContext } from '../auth/open-auth.js';
import { applyCallArguments } from '../config/call-args.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { CallChannel } from './channel.js';
import { recordAuditEntry } from '../auth/audit-entry.js';
import type { Context } from '../auth/verifier.js';
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
  let site: Settings | undefined;
  let outcome: CallOutcome;
  try {
    site = (opts.settings ?? loadSettings)();
    // Opened first so that a refused call leaves its audit row too; no profile or argument changes the database.
    const a = (auth = opts.auth ? await opts.auth() : await openCallAuth(site, { now: opts.now }));
    // Whatever the dialplan says: such a caller ID may already have added arguments.
    if (callerIdInjects(ch.info))
      throw new Error('call refused: the caller ID contains , & = or |, which no phone number does (argument injection?)');
    const s = applyCallArguments(site, ch.info.args);
    // Checked before the channel is answered: a pbotp call without its settings fails closed, unanswered.
    const pbotp = s.mode === 'pbotp' ? pbotpCall(s) : null;
    if (s.answer) await ch.answer();
    const r: FlowResult = pbotp ? await pbotpFlow(ch, s, pbotp, a, opts.source) : await authenticateTotp(ch, s, a.verifier, opts.source);
    outcome = { ...r, error: null };
  } catch (err) {
    outcome = endedBy(err);
  }
  const ctx = callContext(ch, opts.source, site?.pbxName ?? '');
  if (auth && !['ok', 'bad-credentials', 'locked'].includes(outcome.reason)) await auditEnding(auth, ctx, outcome, outcome.error);
  const reported = await report(ch, outcome);
  // The rows so far say how the call went; this one that the dialplan never learnt it.
  if (auth && reported !== outcome)
    await auditEnding(
      auth,
      ctx,
      reported,
      `${outcome.reason} not reported: ${reported.error ?? 'caller hung up'}${!reported.ok && reported.astotp ? `; ${reported.astotp}` : ''}`,
    );
  if (auth && !opts.auth) await auth.store.close();
  return reported;
}

/** Loaded only for pbotp calls: a TOTP call never evaluates the challenge-response code (X25519, BLAKE2s). */
async function pbotpFlow(ch: CallChannel, s: Settings, call: PbotpCall, a: AuthContext, source: string): Promise<FlowResult> {
  const [{ authenticatePbotp }, { PbotpVerifier }] = await Promise.all([import('./pbotp-flow.js'), import('../auth/pbotp-verifier.js')]);
  return authenticatePbotp(ch, s, call, new PbotpVerifier(a.store, a.key.idMask, s, a.now), source);
}

async function auditEnding(auth: AuthContext, ctx: Context, o: CallOutcome, detail: string | null): Promise<void> {
  // One try, never a wait for a lock: when the call failed on a busy
  // database it has waited its db_timeout already, and losing this one row
  // is better than keeping the channel waiting again.
  try {
    await auth.store.exclusive((t) => recordAuditEntry(t, o.user, ctx, auth.now(), { ok: false, reason: o.reason, detail }), {
      wait: false,
    });
  } catch {
    // The call's outcome matters more than its log line; a broken database was already reported.
  }
}
