// One open database for every FastAGI call. better-sqlite3 is synchronous, so
// the calls of one server never run two transactions at once and cannot get
// SQLITE_BUSY from each other; another process's lock is waited for on timers
// (Store), never in SQLite's busy handler, so the other calls go on meanwhile.
// A database that cannot be opened fails each call closed and is tried again
// on the next; one replaced on disk, or a new key file (a restore), is opened
// again (auth/reopening.ts).
import type { CallAuth } from '../auth/call-auth.js';
import { Reopening, type WatchedFiles } from '../auth/reopening.js';

export class SharedAuth {
  private readonly auth: Reopening<CallAuth>;
  /** Retries of the stores closed so far: a reopened database must not reset the count. */
  private retriedBefore = 0;

  constructor(files: WatchedFiles, open: () => Promise<CallAuth>) {
    this.auth = new Reopening(files, open, (auth) => {
      this.retriedBefore += auth.retries;
      return auth.close();
    });
  }

  /** The open database, opened now if need be; rejects with why it cannot be opened. */
  get(): Promise<CallAuth> {
    return this.auth.get();
  }

  /** Transactions run again after a conflict, over every store this has opened (PostgreSQL; 0 on SQLite). */
  get retries(): number {
    return this.retriedBefore + (this.auth.opened?.retries ?? 0);
  }

  close(): Promise<void> {
    return this.auth.close();
  }
}
