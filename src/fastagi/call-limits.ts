// How long Asterisk may take to answer a call's commands, from the call's own
// settings: one command at a time (the idle limit), and all of them together
// (the call limit). Both count only the time Asterisk owes an answer, so a
// server slowed down by its own work never cuts a call short.
import { MAX_READINGS } from '../call/challenge-reading.js';
import { applyCallArguments } from '../config/call-args.js';
import type { Settings } from '../config/settings.js';

/** Room for prompts being played before a GET DATA's own timeout starts. */
const IDLE_MARGIN_MS = 30_000;
/** Far more than a call's PIN hashes take, even queued behind hundreds of other calls'. */
const SERVER_WORK_MS = 60_000;
/** A pbotp challenge is 13 groups read out; a reading takes about a minute. */
const CHALLENGE_READING_MS = 120_000;

/** The longest one command may wait: the call's longest wait for the caller, plus the prompts. */
export function idleLimitMs(s: Settings): number {
  const waits = [s.idTimeoutMs, s.pinTimeoutMs, s.codeTimeoutMs, ...(s.mode === 'pbotp' ? [s.pbotpTimeoutMs] : [])];
  return Math.max(...waits) + IDLE_MARGIN_MS;
}

/** The longest a whole call may wait: every wait for the caller in every try, plus the prompts. */
export function callLimitMs(s: Settings): number {
  // A pbotp try may read its challenge MAX_READINGS times, each followed by a key and the code;
  // a TOTP try's code prompt is read on once more for the rest of a recovery code (call/code-entry.ts).
  const perTry =
    s.mode === 'pbotp'
      ? s.idTimeoutMs + MAX_READINGS * (CHALLENGE_READING_MS + 2 * s.pbotpTimeoutMs)
      : s.idTimeoutMs + s.pinTimeoutMs + 2 * s.codeTimeoutMs;
  return s.tries * (perTry + IDLE_MARGIN_MS) + IDLE_MARGIN_MS;
}

/**
 * The backstop: how long a call may last in wall-clock time, whatever
 * Asterisk sends. Its answers' limit, plus the server's own work: PIN hashes
 * queued behind other calls', and a wait of up to db_timeout for a database
 * another process holds locked in each try.
 */
export function wallLimitMs(s: Settings, answersMs: number): number {
  return answersMs + s.tries * s.dbTimeoutMs + SERVER_WORK_MS;
}

/** The settings a call's limits are taken from: its profile's, or the site's when its arguments are bad. */
export function callSettings(base: Settings, args: string[]): Settings {
  try {
    return applyCallArguments(base, args);
  } catch {
    // The call will fail on these arguments anyway; the base settings bound it until then.
    return base;
  }
}
