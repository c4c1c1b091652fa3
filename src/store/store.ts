// One handle on the database: users, their counters, audit log, throttle and the few facts kept in meta.
import { Audit } from './audit.js';
import { whenNotBusy, type BusyWait } from './busy-wait.js';
import { UserCounters } from './counters.js';
import { DEFAULT_TIMEOUT_MS, openDatabase, writeMeta, type Db, type OpenOptions } from './open-database.js';
import { Throttle } from './throttle.js';
import { Users } from './users.js';

export class Store {
  readonly users: Users;
  /** The users' failure counters; the throttle table has the same API for pbotp's. */
  readonly userCounters: UserCounters;
  readonly audit: Audit;
  readonly throttle: Throttle;

  private readonly wait: BusyWait;

  constructor(
    readonly db: Db,
    readonly path: string,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.users = new Users(db);
    this.userCounters = new UserCounters(db);
    this.audit = new Audit(db);
    this.throttle = new Throttle(db);
    this.wait = { path, timeoutMs };
  }

  static open(path: string, opts: OpenOptions): Store {
    return new Store(openDatabase(path, opts), path, opts.timeoutMs);
  }

  /** Reads with fn, waiting like exclusive() while another process's lock keeps even readers out. */
  read<T>(fn: () => T): Promise<T> {
    return whenNotBusy(fn, this.wait);
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    writeMeta(this.db, key, value);
  }

  /**
   * Runs fn in a write transaction taken up front, so check-then-record cannot
   * race. On a call's connection (no busy handler) another process's lock is
   * waited for with the event loop free; fn itself runs at most once, in one
   * go, so no other call's database work can slip into the transaction.
   */
  exclusive<T>(fn: () => T): Promise<T> {
    let began = false;
    const txn = this.db.transaction(() => {
      began = true;
      return fn();
    });
    return whenNotBusy(() => txn.immediate(), this.wait, () => !began);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
