// One handle on the database: users, audit log, throttle and the few facts kept in meta.
import { Audit } from './audit.js';
import { openDatabase, type Db, type OpenOptions } from './open-database.js';
import { Throttle } from './throttle.js';
import { Users } from './users.js';

export class Store {
  readonly users: Users;
  readonly audit: Audit;
  readonly throttle: Throttle;

  constructor(readonly db: Db, readonly path: string) {
    this.users = new Users(db);
    this.audit = new Audit(db);
    this.throttle = new Throttle(db);
  }

  static open(path: string, opts: OpenOptions): Store {
    return new Store(openDatabase(path, opts), path);
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Runs fn in a write transaction taken up front, so check-then-record cannot race. */
  exclusive<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
