// Brings a SQLite file to this astotp's schema: the missing migrations
// (schema.ts) in one IMMEDIATE transaction, so a failure leaves the schema as
// it was and two processes opening an old file at once migrate it once. PRAGMA
// user_version is the version applied. Before an upgrade a copy of the file
// is kept beside it, for going back to the astotp that made it.
import { closeSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncPath } from '../../os/files.js';
import { StoreError } from '../errors.js';
import { COMPATIBLE_META_KEY, OLDEST_COMPATIBLE_SCHEMA, refuseIfIncompatible, SCHEMA_VERSION } from '../schema.js';
import type { Db } from './open-database.js';
import { SQLITE_MIGRATIONS } from './schema.js';
import { errorMessage } from '../../text/error-message.js';

/** Migrates the file; refuses a schema a newer astotp made incompatible, and an uninitialised file unless `mayInitialise`. */
export function migrate(db: Db, path: string, mayInitialise: boolean): void {
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
      throw new StoreError(`cannot keep a copy of database ${path} before upgrading it: ${errorMessage(err)}`);
    }
    closeSync(fd);
    try {
      db.prepare('VACUUM INTO ?').run(copy);
      syncPath(copy);
      syncPath(dirname(copy));
    } catch (err) {
      rmSync(copy, { force: true });
      throw new StoreError(`cannot keep a copy of database ${path} in ${copy} before upgrading it: ${errorMessage(err)}`);
    }
    return;
  }
}
