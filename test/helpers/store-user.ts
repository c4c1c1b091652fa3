// A user written straight into a store, as enroll would leave it: for tests
// of the rules that run below the CLI.
import type { MasterKey } from '../../src/auth/master-key.js';
import { hashPin } from '../../src/auth/pin-hash.js';
import { sealSecret } from '../../src/auth/secret-box.js';
import type { Store } from '../../src/store/store.js';
import { SECRET } from './site.js';

/** `id` with `pin` (null: none) and SECRET, SHA1, 6 digits, 30 s. */
export async function insertUser(store: Store, key: MasterKey, id: string, pin: string | null): Promise<void> {
  const pin_hash = pin === null ? null : await hashPin(key.pinPepper, id, pin);
  await store.exclusive((t) =>
    t.users.insert({ id, pin_hash, secret_box: sealSecret(key.secretKey, id, SECRET), algorithm: 'SHA1', digits: 6, period: 30 }),
  );
}
