// The schema's versions, the same on every adapter (sqlite/schema.ts,
// postgres/schema.ts): version N means the same tables and columns on both.
import { StoreError } from './errors.js';

export const SCHEMA_VERSION = 8;

/**
 * The version whose migration gave tokens their own table (the last one of
 * sqlite/schema.ts and postgres/schema.ts; renumbered with it).
 */
export const TOKENS_SCHEMA = 6;

/** The version whose migration added the pbotp authority's roles and API tokens. */
export const AUTHORITY_SCHEMA = 8;

/**
 * The oldest schema version whose astotp may still use a database of this
 * schema, written to meta when a database is migrated. PBXs sharing one
 * database are upgraded one at a time: a migration that only adds (a column
 * or table older code never reads) leaves this where it was, so a PBX not
 * yet upgraded keeps working; one that changes what older code relies on
 * raises it, and older astotp then refuses the file with a clear sentence.
 *
 * Tokens raised it. Older astotp reads the second factor from the users
 * row (the app secret, last_step) and knows nothing of tokens: it would let
 * in an app token an admin disabled (a lost phone), take any code for a
 * user who holds only fobs, and its reset, remove, enroll --force and
 * import --force would write users rows behind the tokens' back. Keeping
 * the users row as a second copy of the app token's secret and replay mark
 * would make two truths of what must be one, in every writer forever. So
 * an older astotp refuses a database with tokens, naming what to install,
 * and a code used on a new PBX can never be taken on an old one.
 *
 * @alias of TOKENS_SCHEMA today, and a rule of its own: a later migration may raise it.
 */
export const OLDEST_COMPATIBLE_SCHEMA = TOKENS_SCHEMA;
// Schema 7 (lockout streaks, notices) and 8 (the pbotp authority's roles and
// API tokens) only added: astotp of schema 6 and 7 keep using the file. An
// older astotp's remove takes a user's role and tokens along (foreign keys),
// and it never reads them, so it can neither make an approver nor use one.

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
