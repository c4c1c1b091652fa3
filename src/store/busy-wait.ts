// Waiting for a lock another process holds on the database. SQLite's own busy
// handler sleeps the whole process, and with it every other FastAGI call, so
// a call's connection never waits there: it retries on timers instead, with
// growing pauses, until db_timeout is used up.
import { setTimeout as sleep } from 'node:timers/promises';
import { busyError, StoreError } from './errors.js';

/** SQLite's own busy handler sleeps this way: short first, then 100 ms at a time. */
const PAUSES_MS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

export interface BusyWait {
  /** The database as messages name it. */
  path: string;
  timeoutMs: number;
}

function isBusy(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === 'busy';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `attempt` until it does not fail on a busy database or timeoutMs has
 * passed; then throws the busy sentence. `mayRetry` says whether a failed
 * attempt left nothing behind, so that running it again is the same as the first time.
 */
export async function whenNotBusy<T>(attempt: () => T | Promise<T>, wait: BusyWait, mayRetry: () => boolean = () => true): Promise<T> {
  const deadline = Date.now() + wait.timeoutMs;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isBusy(err)) throw err;
      const left = deadline - Date.now();
      if (left <= 0 || !mayRetry()) throw busyError(wait.path, wait.timeoutMs);
      await sleep(Math.min(PAUSES_MS[Math.min(i, PAUSES_MS.length - 1)]!, left));
    }
  }
}
