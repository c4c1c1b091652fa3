// Ties a database to its key file, so a wrong or regenerated key file is
// reported as such instead of failing every caller as "bad credentials".
// With PostgreSQL every PBX brings its own copy: one that differs is refused.
import type { Store } from '../store/store.js';
import { isAuthority } from './authority-mark.js';
import { AuthError } from './errors.js';
import { checkValuesMatch, KeyFileError, type MasterKey } from './master-key.js';

/** The meta key of the key's check value (a restore writes it with the rows). */
export const KEY_CHECK_META = 'key_check';

/**
 * Throws KeyFileError on a mismatch; records the key on a database that has
 * none yet when allowed. `forCall`: a pbotp authority's database is refused
 * too (AuthError authority-database), read in the same transaction.
 */
export async function bindKey(store: Store, key: MasterKey, keyPath: string, mayRecord: boolean, forCall = false): Promise<void> {
  // Users are counted only for a database without a key check: every call opens through here.
  const stored = await store.read(async (t) => {
    const check = await t.meta.get(KEY_CHECK_META);
    return { check, users: check === undefined ? await t.users.count() : 0, authority: forCall && (await isAuthority(t)) };
  });
  if (stored.authority)
    throw new AuthError(
      `database ${store.name} is a pbotp authority's: no PBX may use it (its users are approvers, not callers)`,
      'authority-database',
    );
  if (stored.check === undefined) {
    if (mayRecord) {
      // Two PBXs running init at once with different keys: the first one recorded wins, the other is refused below.
      const winner = await store.exclusive(async (t) => {
        const now = await t.meta.get(KEY_CHECK_META);
        if (now === undefined) await t.meta.set(KEY_CHECK_META, key.checkValue);
        return now ?? key.checkValue;
      });
      if (!checkValuesMatch(winner, key.checkValue)) throw mismatch(store, keyPath);
    } else if (stored.users > 0)
      throw new KeyFileError(`database ${store.name} records no key; it was not made by astotp enroll`, 'mismatch');
    return;
  }
  if (!checkValuesMatch(stored.check, key.checkValue)) throw mismatch(store, keyPath);
}

function mismatch(store: Store, keyPath: string): KeyFileError {
  const hint = store.kind === 'postgres' ? ' (every PBX sharing the database needs a copy of the same key file)' : '';
  return new KeyFileError(
    `key file ${keyPath} is not the one database ${store.name} was made with; secrets cannot be decrypted${hint}`,
    'mismatch',
  );
}

/**
 * Refuses a new key file for a database that already has secrets or a key
 * check: they were sealed with the missing key, which a new one cannot open.
 */
export async function refuseNewKey(store: Store, keyPath: string): Promise<void> {
  const used = await store.read(async (t) => (await t.meta.get(KEY_CHECK_META)) !== undefined || (await t.users.count()) > 0);
  if (!used) return;
  const copy = store.kind === 'postgres' ? `copy the key file from a PBX that uses ${store.name}, or ` : '';
  throw new KeyFileError(
    `key file ${keyPath} does not exist, but database ${store.name} was made with one; ${copy}restore ${keyPath} from a backup (nothing was created: a new key could not read the secrets)`,
    'lost',
  );
}
