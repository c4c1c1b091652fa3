// One open database for every FastAGI call. better-sqlite3 is synchronous, so
// the calls of one server never run two transactions at once and cannot get
// SQLITE_BUSY from each other; another process's lock is waited for on timers
// (Store), never in SQLite's busy handler, so the other calls go on meanwhile.
// A database that cannot be opened fails each call closed and is tried again
// on the next; one replaced on disk (a restore) is reopened, so the server
// never keeps writing to a file nobody reads.
import { statSync } from 'node:fs';
import type { CallAuth } from '../auth/call-auth.js';

export class SharedAuth {
  private auth: CallAuth | null = null;
  private inode: number | null = null;
  /** Calls that arrive while the database is being opened wait for that one opening. */
  private opening: Promise<CallAuth> | null = null;
  /** Retries of the stores closed so far: a reopened database must not reset the count. */
  private retriedBefore = 0;

  constructor(
    /** The SQLite file, watched for a replacement; null for a database server. */
    private readonly path: string | null,
    private readonly open: () => Promise<CallAuth>,
  ) {}

  /** The open database, opened now if need be; rejects with why it cannot be opened. */
  get(): Promise<CallAuth> {
    if (this.opening) return this.opening;
    const inode = this.path === null ? null : (statSync(this.path, { throwIfNoEntry: false })?.ino ?? null);
    if (this.auth && inode !== this.inode) void this.close();
    if (this.auth) return Promise.resolve(this.auth);
    const opening = this.open().then((auth) => {
      this.auth = auth;
      this.inode = inode;
      return auth;
    });
    this.opening = opening;
    const done = (): void => {
      if (this.opening === opening) this.opening = null;
    };
    opening.then(done, done);
    return opening;
  }

  /** Transactions run again after a conflict, over every store this has opened (PostgreSQL; 0 on SQLite). */
  get retries(): number {
    return this.retriedBefore + (this.auth?.retries ?? 0);
  }

  async close(): Promise<void> {
    const auth = this.auth;
    this.retriedBefore += auth?.retries ?? 0;
    this.auth = null;
    this.inode = null;
    await auth?.close();
  }
}
