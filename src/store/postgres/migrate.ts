// Brings a PostgreSQL database to this astotp's schema. Several PBXs may run
// `astotp init` (or their first call after an upgrade) at the same moment:
// one transaction-scoped advisory lock lets one of them migrate while the
// others wait, then find nothing left to do. All missing migrations are
// applied in that one transaction, so a failure leaves the schema as it was.
import { StoreError } from '../errors.js';
import { COMPATIBLE_META_KEY, OLDEST_COMPATIBLE_SCHEMA, refuseIfIncompatible, SCHEMA_VERSION } from '../schema.js';
import { POSTGRES_MIGRATIONS } from './schema.js';
import type { Query } from './open-database.js';

/** The advisory lock key of migrations: 'astotp' in ASCII. */
const MIGRATION_LOCK = 0x6173746f7470;

/** The version recorded in schema_migrations; 0 when astotp never migrated this database. */
export async function appliedVersion(q: Query): Promise<number> {
  // Not to_regclass(): it answers from the connection's catalog cache, which
  // the migration lock's wait does not refresh, so a PBX that waited while
  // another migrated would still see no table, and take the new tables for a
  // foreign schema. pg_tables is read with the statement's snapshot.
  const exists = await q<{ n: number }>(
    "SELECT count(*)::integer AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'",
  );
  if (exists.rows[0]!.n === 0) return 0;
  return (await q<{ v: number }>('SELECT coalesce(max(version), 0)::integer AS v FROM schema_migrations')).rows[0]!.v;
}

/**
 * Migrates inside the caller's transaction (`q` runs on one connection that
 * has begun one); refuses a schema a newer astotp made incompatible.
 */
export async function migrate(q: Query, name: string, mayInitialise: boolean): Promise<void> {
  await q('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  const from = await appliedVersion(q);
  if (from > SCHEMA_VERSION) return usableNewer(q, name, from);
  if (from === SCHEMA_VERSION) return;
  if (from === 0) {
    const tables = await q<{ n: number }>(
      "SELECT count(*)::integer AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ('users', 'audit', 'meta', 'throttle')",
    );
    if (tables.rows[0]!.n > 0)
      throw new StoreError(`database ${name} has tables named like astotp's but no schema_migrations: not an astotp database`);
    if (!mayInitialise) throw new StoreError(`database ${name} is empty (astotp init or astotp enroll initialises it)`);
    await q('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    await q(POSTGRES_MIGRATIONS[v]!);
    await q('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [v + 1, Math.floor(Date.now() / 1000)]);
  }
  await q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
    COMPATIBLE_META_KEY,
    String(OLDEST_COMPATIBLE_SCHEMA),
  ]);
}

async function usableNewer(q: Query, name: string, found: number): Promise<void> {
  const row = (await q<{ value: string }>('SELECT value FROM meta WHERE key = $1', [COMPATIBLE_META_KEY])).rows[0];
  refuseIfIncompatible(name, found, row?.value);
}
