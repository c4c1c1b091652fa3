// Opens the store a `db` value names. The PostgreSQL adapter, and node-postgres
// with it, is loaded only for a postgres:// URL: a classic call on SQLite
// never evaluates it.
import { isPostgresUrl } from './location.js';
import type { PostgresOpenOptions } from './postgres/open-database.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export type StoreOptions = PostgresOpenOptions;

export async function openStore(db: string, opts: StoreOptions): Promise<Store> {
  if (!isPostgresUrl(db)) return SqliteStore.open(db, opts);
  const { PostgresStore } = await import('./postgres/pg-store.js');
  return PostgresStore.open(db, opts);
}
