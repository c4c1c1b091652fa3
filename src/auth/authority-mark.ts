// What marks a database as a pbotp authority's (meta database_role), read
// where a database is opened: a call refuses such a database (key-binding.ts),
// since no PBX may write the authority's, and the console refuses any other.
import type { StoreTx } from '../store/tables.js';

/** The meta key whose value marks the database as a pbotp authority's. */
export const AUTHORITY_MARK = 'database_role';
export const AUTHORITY_VALUE = 'pbotp-authority';
/** The audit source of the authority's responses; `astotp log --approver` reads only these. */
export const AUTHORITY_SOURCE = 'authority';

/** Inside any transaction: whether this is an authority's database. */
export async function isAuthority(t: StoreTx): Promise<boolean> {
  return (await t.meta.get(AUTHORITY_MARK)) === AUTHORITY_VALUE;
}
