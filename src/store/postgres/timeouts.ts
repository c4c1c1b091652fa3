// How long PostgreSQL may keep astotp waiting, worked out from db_timeout and
// db_connect_timeout: the one owner of these formulas, which README states
// (PostgreSQL, "Faults"), and of the timer that holds a wait to them.
import type { StoreError } from '../errors.js';

export interface PostgresTimeouts {
  /** db_timeout: how long a lock another transaction holds is waited for, at a time. */
  lockMs: number;
  /** db_connect_timeout: how long a new connection may take; also what a server that answers at all needs beyond a lock wait. */
  connectMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

/**
 * How long one statement may go unanswered: its lock wait, then as long
 * again as a connection may take. Past it the statement fails, and its
 * connection is closed and never used again: a server or backend that stops
 * answering (a frozen process, a link that drops packets without a reset)
 * never holds a call longer.
 */
export function answerMs(t: PostgresTimeouts): number {
  return t.lockMs + t.connectMs;
}

/**
 * A one-try transaction (exclusive() with wait false: the audit row of a
 * call that failed) has this long from its wait for a connection to its
 * COMMIT's answer, all together; past it, it fails and its row is lost.
 */
export function oneTryMs(t: PostgresTimeouts): number {
  return t.connectMs;
}

/**
 * The bound README states for a server or backend that stops answering in
 * the middle of a call: the call ends FAILURE at most this long after astotp
 * sent the statement left unanswered. That statement's answerMs, then the
 * call's audit row on a new connection, its oneTryMs.
 */
export function stalledCallMs(t: PostgresTimeouts): number {
  return answerMs(t) + oneTryMs(t);
}

/** A PBX process that stops mid-transaction (SIGSTOP, a hung PBX) must not hold users' rows for long. */
export function idleInTransactionMs(t: PostgresTimeouts): number {
  return Math.max(10_000, 2 * answerMs(t));
}

/**
 * `pending`, or `late()` once ms have passed without it settling. Whatever
 * settles after that is dropped, but a value is handed to `dropped` (a
 * connection that arrived too late goes back to the pool).
 */
export function settleWithin<T>(
  pending: Promise<T>,
  ms: number,
  late: () => StoreError,
  dropped: (value: T) => void = () => {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let over = false;
    const timer = setTimeout(
      () => {
        over = true;
        reject(late());
      },
      Math.max(0, ms),
    );
    pending.then(
      (value) => {
        clearTimeout(timer);
        if (over) dropped(value);
        else resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
