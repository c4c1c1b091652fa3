// The same cases on every store adapter: SQLite on a fresh file, PostgreSQL
// on a fresh database of a throwaway server (one per test file). A rule
// proved on one adapter only is not proved for the PBXs on the other.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { describePostgres, POSTGRES_START_TIMEOUT_MS, startPostgres, type PostgresServer } from './postgres.js';
import { tempDir } from './temp.js';

interface StoreOpenOptions {
  /** Opens this `db` value (site.location() of another store: another PBX on its database) instead of a fresh database. */
  at?: string;
  /** false: as a call opens it, which never creates or initialises a database. */
  create?: boolean;
  /** PostgreSQL connections at most; 1 unless asked. */
  poolSize?: number;
  /** db_timeout; generous by default, as the machine is shared with other suites. */
  timeoutMs?: number;
}

export type OpenStore = (opts?: StoreOpenOptions) => Promise<Store>;

/** What a suite may need beyond stores: where their databases live. */
export interface StoreSite {
  /** The `db` value openStore() was given for `store`. */
  location(store: Store): string;
  /** A `db` value naming a new database that exists and is empty. */
  emptyDatabase(): Promise<string>;
}

const TEST_TIMEOUT_MS = 20_000;

export function describeStores(name: string, fn: (open: OpenStore, site: StoreSite) => void): void {
  describe(`${name} (SQLite)`, () => {
    const opened = trackStores();
    let n = 0;
    const emptyDatabase = async () => {
      const path = join(tempDir('astotp-store-'), `astotp-${++n}.sqlite3`);
      // A file of no bytes is an empty SQLite database, as an empty one a DBA made is on PostgreSQL.
      writeFileSync(path, '');
      return path;
    };
    const open: OpenStore = async (opts = {}) => {
      const path = opts.at ?? (await emptyDatabase());
      // Not blocking: stores on one file in one process must wait on timers, never in SQLite's busy handler.
      const store = await openStore(path, { create: opts.create ?? true, blocking: false, timeoutMs: opts.timeoutMs ?? TEST_TIMEOUT_MS });
      return opened.add(store, path);
    };
    fn(open, { location: opened.location, emptyDatabase });
  });

  describePostgres(`${name} (PostgreSQL)`, () => {
    const server = sharedServer();
    const databases: string[] = [];
    const opened = trackStores(async () => {
      for (const db of databases.splice(0)) await server().query(`DROP DATABASE ${db} WITH (FORCE)`);
    });
    const emptyDatabase = async () => {
      const s = server();
      const db = `astotp_t${++databaseCount}`;
      await s.query(`CREATE DATABASE ${db} OWNER ${s.role}`);
      databases.push(db);
      return socketUrl(s, db);
    };
    const open: OpenStore = async (opts = {}) => {
      const url = opts.at ?? (await emptyDatabase());
      const store = await openStore(url, {
        create: opts.create ?? true,
        poolSize: opts.poolSize ?? 1,
        timeoutMs: opts.timeoutMs ?? TEST_TIMEOUT_MS,
      });
      return opened.add(store, url);
    };
    fn(open, { location: opened.location, emptyDatabase });
  });
}

/** This test file's one server, whichever describeStores block needs it first; it ends with the file. */
let starting: Promise<PostgresServer> | undefined;
/** Databases made on it so far: every one gets a name of its own. */
let databaseCount = 0;

function sharedServer(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await (starting ??= startPostgres());
  }, POSTGRES_START_TIMEOUT_MS);
  return () => {
    if (server === undefined) throw new Error('the PostgreSQL server did not start (see beforeAll)');
    return server;
  };
}

/** The role's login over the server's socket, where it needs no password. */
export function socketUrl(s: PostgresServer, database: string): string {
  return `postgres://${s.role}@/${database}?host=${encodeURIComponent(s.socketDir)}&port=${s.port}`;
}

/** Stores opened in a test, closed after it (then `after` runs, e.g. to drop their databases). */
function trackStores(after: () => Promise<void> = async () => {}) {
  const where = new Map<Store, string>();
  afterEach(async () => {
    const stores = [...where.keys()];
    where.clear();
    await Promise.all(stores.map((s) => s.close()));
    await after();
  });
  return {
    add(store: Store, location: string): Store {
      where.set(store, location);
      return store;
    },
    location(store: Store): string {
      const l = where.get(store);
      if (l === undefined) throw new Error('not a store this suite opened');
      return l;
    },
  };
}
