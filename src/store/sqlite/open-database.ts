// Opens the SQLite file with the settings every caller relies on, applies
// migrations, and turns SQLite's failures into sentences an admin can act on.
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteAddon } from '../../native/sqlite-addon.js';
import { syncPath } from '../../os/files.js';
import { busyError, DEFAULT_TIMEOUT_MS, StoreError } from '../errors.js';
import { COMPATIBLE_META_KEY, OLDEST_COMPATIBLE_SCHEMA, refuseIfIncompatible, SCHEMA_VERSION } from '../schema.js';
import type { OpenOptions } from '../store.js';
import { SQLITE_MIGRATIONS } from './schema.js';

export type Db = Database.Database;

export interface SqliteOpenOptions extends OpenOptions {
  /** The SQLite addon; by default the process's one, loaded on first use (native/sqlite-addon.ts). */
  addon?: () => object | undefined;
}

export function openDatabase(path: string, opts: SqliteOpenOptions): Db {
  if (!opts.create && !existsSync(path)) throw new StoreError(`database ${path} does not exist (astotp init or astotp enroll creates it)`);
  if (!opts.create) requireWritable(path);
  const { timeoutMs = DEFAULT_TIMEOUT_MS, blocking = true } = opts;
  const addon = (opts.addon ?? sqliteAddon)();
  let db: Db;
  try {
    // @types/better-sqlite3 only knows the string form; the addon object is documented upstream.
    db = new Database(path, {
      fileMustExist: !opts.create,
      timeout: blocking ? timeoutMs : 0,
      ...(addon ? { nativeBinding: addon as unknown as string } : {}),
    });
  } catch (err) {
    throw explain(err, path, timeoutMs);
  }
  try {
    // WAL lets calls read while another commits; FULL sync so an accepted
    // code's time step survives a power cut (else the code could be replayed).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, path, opts.create);
    return db;
  } catch (err) {
    db.close();
    throw explain(err, path, timeoutMs);
  }
}

function requireWritable(path: string): void {
  const who = process.geteuid ? `uid ${process.geteuid()}` : 'this user';
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new StoreError(`database ${path} is not readable and writable by ${who} (the user Asterisk runs as must own it)`);
  }
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch {
    throw new StoreError(`directory ${dirname(path)} is not writable by ${who}; SQLite needs it for the database's -wal and -shm files`);
  }
}

function migrate(db: Db, path: string, mayInitialise: boolean): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const found = version();
  if (found === SCHEMA_VERSION) return;
  if (found > SCHEMA_VERSION) return usableNewer(db, path, found);
  if (found > 0 && found < SCHEMA_VERSION) keepCopy(db, path, SCHEMA_VERSION);
  db.transaction(() => {
    const from = version();
    if (from > SCHEMA_VERSION) return usableNewer(db, path, from);
    if (from === 0 && !mayInitialise) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      throw new StoreError(
        `database ${path} is ${tables.n ? 'not an astotp database' : 'empty'} (astotp init or astotp enroll initialises it)`,
      );
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(SQLITE_MIGRATIONS[v]!);
    writeMeta(db, COMPATIBLE_META_KEY, String(OLDEST_COMPATIBLE_SCHEMA));
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function writeMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

function usableNewer(db: Db, path: string, found: number): void {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(COMPATIBLE_META_KEY) as { value: string } | undefined;
  refuseIfIncompatible(path, found, row?.value);
}

/**
 * Before a migration: a copy of the database as it is, next to it
 * (astotp.sqlite3.before-v3), for going back to the astotp that made it.
 * VACUUM INTO takes a consistent snapshot even while other processes write.
 * A copy already there (an earlier try) is kept, the new one numbered. No
 * copy, no migration: the error fails the open.
 */
function keepCopy(db: Db, path: string, to: number): void {
  for (let n = 1; ; n++) {
    const copy = `${path}.before-v${to}${n === 1 ? '' : `.${n}`}`;
    let fd: number;
    try {
      // Created here, empty and closed to others, because it holds what the database holds.
      fd = openSync(copy, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new StoreError(`cannot keep a copy of database ${path} before upgrading it: ${(err as Error).message}`);
    }
    closeSync(fd);
    try {
      db.prepare('VACUUM INTO ?').run(copy);
      syncPath(copy);
      syncPath(dirname(copy));
    } catch (err) {
      rmSync(copy, { force: true });
      throw new StoreError(`cannot keep a copy of database ${path} in ${copy} before upgrading it: ${(err as Error).message}`);
    }
    return;
  }
}

function explain(err: unknown, path: string, timeoutMs: number): Error {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return new StoreError(`database ${path} is corrupt or not a database (${e.message})`, null, { cause: err });
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    let mode = '';
    try {
      const st = statSync(path);
      mode = ` (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`;
    } catch {}
    return new StoreError(`database ${path} cannot be opened for writing${mode}: ${e.message}`, null, { cause: err });
  }
  if (code.startsWith('SQLITE_BUSY')) return busyError(path, timeoutMs, err);
  return err instanceof Error ? err : new Error(String(err));
}
