// The SQLite adapter. One connection serves every call of a process (a
// FastAGI server's too), so transactions on it take turns: while one is open,
// another call's statements would otherwise run inside it. Another process's
// lock is waited for on timers (busy-wait.ts), never in SQLite's busy
// handler, which would sleep every call of the process.
import { statSync } from 'node:fs';
import { whenNotBusy, type BusyWait } from '../busy-wait.js';
import { DEFAULT_TIMEOUT_MS } from '../errors.js';
import type { ExclusiveOptions, Store } from '../store.js';
import type { StoreTx } from '../tables.js';
import { SqliteAudit } from './audit.js';
import { SqliteApiTokens, SqliteRoles } from './authority.js';
import { SqliteThrottle, SqliteUserCounters } from './counters.js';
import { SqliteInvitations, SqliteWebSessions } from './invitations.js';
import { SqliteNotices } from './notices.js';
import { SqliteMeta } from './meta.js';
import { openDatabase, type Db, type SqliteOpenOptions } from './open-database.js';
import { SqliteRecoveryCodes } from './recovery-code-rows.js';
import { SqliteTokens } from './tokens.js';
import { SqliteTransfer } from './transfer.js';
import { SqliteUsers } from './users.js';

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly retries = 0;
  private readonly tx: StoreTx;
  private readonly wait: BusyWait;
  /** The end of the last transaction queued on the connection. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly db: Db,
    readonly name: string,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.tx = {
      users: new SqliteUsers(db),
      tokens: new SqliteTokens(db),
      userCounters: new SqliteUserCounters(db),
      throttle: new SqliteThrottle(db),
      recoveryCodes: new SqliteRecoveryCodes(db),
      audit: new SqliteAudit(db),
      meta: new SqliteMeta(db),
      transfer: new SqliteTransfer(db),
      invitations: new SqliteInvitations(db),
      webSessions: new SqliteWebSessions(db),
      notices: new SqliteNotices(db),
      roles: new SqliteRoles(db),
      apiTokens: new SqliteApiTokens(db),
    };
    this.wait = { path: name, timeoutMs };
  }

  static open(path: string, opts: SqliteOpenOptions): SqliteStore {
    return new SqliteStore(openDatabase(path, opts), path, opts.timeoutMs);
  }

  /**
   * In one read transaction, so fn sees one state; run again from the start
   * while another process's lock keeps readers out. Each try is one turn:
   * the pauses between tries leave the connection to the other calls.
   */
  read<T>(fn: (t: StoreTx) => Promise<T>): Promise<T> {
    return whenNotBusy(() => this.transaction('BEGIN', fn), this.wait);
  }

  /**
   * The write lock is taken up front (BEGIN IMMEDIATE); while another process
   * holds it, the turn is given up and tried again after a pause, each call
   * within its own db_timeout. Once the lock is taken, fn runs exactly once:
   * a lock lost after that (rare in WAL mode) fails the transaction as busy.
   */
  exclusive<T>(fn: (t: StoreTx) => Promise<T>, opts: ExclusiveOptions = {}): Promise<T> {
    let began = false;
    const wait = opts.wait === false ? { ...this.wait, timeoutMs: 0 } : this.wait;
    // Once begun, whenNotBusy turns a busy failure into the busy sentence instead of trying again.
    return whenNotBusy(
      () => this.transaction('BEGIN IMMEDIATE', fn, () => (began = true)),
      wait,
      () => !began,
    );
  }

  /** `begin`, fn and COMMIT in one turn of the connection; rolled back whatever fails. */
  private transaction<T>(begin: string, fn: (t: StoreTx) => Promise<T>, begun: () => void = () => undefined): Promise<T> {
    return this.inTurn(async () => {
      this.db.prepare(begin).run();
      begun();
      try {
        const r = await fn(this.tx);
        this.db.prepare('COMMIT').run();
        return r;
      } finally {
        if (this.db.inTransaction) this.db.prepare('ROLLBACK').run();
      }
    });
  }

  async identity(): Promise<string> {
    const st = statSync(this.name);
    return `sqlite:${st.dev}:${st.ino}`;
  }

  async schemaVersion(): Promise<number> {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  async close(): Promise<void> {
    await this.tail;
    if (this.db.open) this.db.close();
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
