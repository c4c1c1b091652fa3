// Ties a database to its key file, so a wrong or regenerated key file is
// reported as such instead of failing every caller as "bad credentials".
import type { Store } from '../store/store.js';
import { checkValuesMatch, KeyFileError, type MasterKey } from './master-key.js';

const META_KEY = 'key_check';

/** Throws KeyFileError on a mismatch; records the key on a database that has none yet when allowed. */
export function bindKey(store: Store, key: MasterKey, keyPath: string, mayRecord: boolean): void {
  const stored = store.getMeta(META_KEY);
  if (stored === undefined) {
    if (mayRecord) store.setMeta(META_KEY, key.checkValue);
    else if (store.users.count() > 0) throw new KeyFileError(`database ${store.path} records no key; it was not made by astotp enroll`, 'mismatch');
    return;
  }
  if (!checkValuesMatch(stored, key.checkValue)) {
    throw new KeyFileError(`key file ${keyPath} is not the one database ${store.path} was made with; secrets cannot be decrypted`, 'mismatch');
  }
}

/**
 * Refuses a new key file for a database that already has secrets or a key
 * check: they were sealed with the missing key, which a new one cannot open.
 */
export function refuseNewKey(store: Store, keyPath: string): void {
  if (store.getMeta(META_KEY) === undefined && store.users.count() === 0) return;
  throw new KeyFileError(`key file ${keyPath} does not exist, but database ${store.path} was made with one; restore ${keyPath} from a backup (nothing was created: a new key could not read the secrets)`, 'lost');
}
