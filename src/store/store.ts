// One handle on the database, whichever it is. Every rule above this layer
// (replay, lockout, throttle, audit) is written once against this interface;
// the adapters only promise the atomicity it describes.
import type { StoreTx } from './tables.js';

type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  readonly kind: StoreKind;
  /** How messages name the database: the SQLite file's path, or the URL without any password. */
  readonly name: string;
  /**
   * Reads with fn. Rows read here may be changed by others before anything is
   * done with them: decisions belong in exclusive().
   */
  read<T>(fn: (t: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Runs fn in one write transaction: what fn reads (users, counters) stays
   * locked until it commits, so check-then-record cannot race with another
   * call on this or any other PBX. fn must do nothing but database work and
   * computation: on PostgreSQL a serialization conflict or deadlock rolls it
   * back and runs it again (never more than db_timeout allows), so a result is
   * only ever returned from a committed run.
   */
  exclusive<T>(fn: (t: StoreTx) => Promise<T>, opts?: ExclusiveOptions): Promise<T>;
  /**
   * What tells this database apart from any other, whatever name reached it
   * (a symlink, localhost or 127.0.0.1): migrate refuses to copy onto its source.
   */
  identity(): Promise<string>;
  /** The schema version the database is at, for doctor. */
  schemaVersion(): Promise<number>;
  /** Transactions run again after a conflict since the store was opened (PostgreSQL; always 0 on SQLite). */
  readonly retries: number;
  close(): Promise<void>;
}

export interface ExclusiveOptions {
  /**
   * false: one try, for a row better lost than waited for (a failed call's
   * audit row): a conflict is not run again, and a lock held elsewhere is not
   * waited out; on SQLite it fails at once, on PostgreSQL the whole
   * transaction, its wait for a connection included, has db_connect_timeout.
   */
  wait?: boolean;
}

export interface OpenOptions {
  /** A call must never create a database; the CLI may. */
  create: boolean;
  /** db_timeout: how long to wait for another process's lock. */
  timeoutMs?: number;
  /**
   * Whether SQLite's busy handler may wait, sleeping the whole process: fine
   * for the CLI at a terminal, never for a call, whose waits must leave the
   * event loop free (the store retries on timers instead).
   */
  blocking?: boolean;
}
