// Users written straight into a store, as the admin service would leave
// them: the users row and its app token (app:USER), the secret sealed for
// it. For tests that judge attempts without the CLI in between.
import { appSerial, sealTokenSecret } from '../../src/auth/tokens.js';
import type { MasterKey } from '../../src/auth/master-key.js';
import { hashPin } from '../../src/auth/pin-hash.js';
import type { Store } from '../../src/store/store.js';
import type { NewUser, StoreTx, TokenRow } from '../../src/store/tables.js';
import type { Algorithm } from '../../src/totp/algorithm.js';
import { SECRET } from './site.js';

export interface TestUser extends NewUser {
  secret?: string;
  algorithm?: Algorithm;
  digits?: number;
  period?: number;
}

export async function insertUser(t: StoreTx, key: Pick<MasterKey, 'secretKey'>, u: TestUser): Promise<void> {
  const { secret = SECRET, algorithm = 'SHA1', digits = 6, period = 30, ...row } = u;
  await t.users.insert(row);
  const serial = appSerial(u.id);
  const at = Math.floor(Date.now() / 1000);
  await t.tokens.insert({
    serial,
    kind: 'app',
    user_id: u.id,
    secret_box: sealTokenSecret(key.secretKey, serial, u.id, secret),
    algorithm,
    digits,
    period,
    counter: null,
    created_at: at,
    updated_at: at,
  });
}

/** The user's app token as stored. */
export function appTokenOf(store: Store, user: string): Promise<TokenRow | undefined> {
  return store.read((t) => t.tokens.get(appSerial(user)));
}

/** `id` with `pin` (null: none), hashed as enroll hashes it, and an app token with SECRET. */
export async function enrollInStore(store: Store, key: MasterKey, id: string, pin: string | null): Promise<void> {
  const pin_hash = pin === null ? null : await hashPin(key.pinPepper, id, pin);
  await store.exclusive((t) => insertUser(t, key, { id, pin_hash }));
}
