// The store layer's failures, as sentences an admin can act on.

export class StoreError extends Error {
  /**
   * 'busy': another process held a lock longer than db_timeout; the same step
   * may work later. 'unreachable': the database server could not be reached
   * or went away; nothing is known to have been written. 'conflict': a
   * transaction met another in a deadlock or serialization failure; it was
   * rolled back and may simply be run again.
   */
  constructor(
    message: string,
    readonly code: 'busy' | 'unreachable' | 'conflict' | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** The one sentence for a lock held too long, wherever it is noticed. */
export function busyError(name: string, timeoutMs: number, cause?: unknown): StoreError {
  return new StoreError(
    `database ${name} is busy: another process has held a lock longer than db_timeout (${timeoutMs / 1000} s)`,
    'busy',
    { cause },
  );
}

/** db_timeout's default, for callers without settings. */
export const DEFAULT_TIMEOUT_MS = 2_000;
