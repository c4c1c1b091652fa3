// Opens the SQLite file with the settings every caller relies on, has it
// migrated (migrate.ts), and turns SQLite's failures into sentences an admin
// can act on.
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteAddon } from '../../native/sqlite-addon.js';
import { busyError, DEFAULT_TIMEOUT_MS, StoreError } from '../errors.js';
import type { OpenOptions } from '../store.js';
import { migrate } from './migrate.js';

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
