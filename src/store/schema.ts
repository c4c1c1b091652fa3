// The schema's versions, the same on every adapter (sqlite/schema.ts,
// postgres/schema.ts): version N means the same tables and columns on both.
import { StoreError } from './errors.js';

export const SCHEMA_VERSION = 6;

/**
 * The oldest schema version whose astotp may still use a database of this
 * schema, written to meta when a database is migrated. PBXs sharing one
 * database are upgraded one at a time: a migration that only adds (a column
 * or table older code never reads) leaves this where it was, so a PBX not
 * yet upgraded keeps working; one that changes what older code relies on
 * raises it, and older astotp then refuses the file with a clear sentence.
 */
export const OLDEST_COMPATIBLE_SCHEMA = 2;

/** The meta key that holds OLDEST_COMPATIBLE_SCHEMA of the newest astotp that migrated the file. */
export const COMPATIBLE_META_KEY = 'oldest_compatible_schema';

/**
 * A database a newer astotp has migrated is used as it is when that astotp
 * declared this version still compatible (its migrations since only added),
 * refused otherwise. `compatible` is the meta value it wrote.
 */
export function refuseIfIncompatible(name: string, found: number, compatible: string | undefined): void {
  const oldest = compatible !== undefined && /^\d+$/.test(compatible) ? Number(compatible) : found;
  if (oldest <= SCHEMA_VERSION) return;
  throw new StoreError(
    `database ${name} has schema version ${found}, which needs astotp for schema ${oldest} or newer (this one has ${SCHEMA_VERSION}); install a newer astotp`,
  );
}
