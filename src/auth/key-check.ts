// Doctor's question about a key file, asked without opening a secret above
// this layer: is it the database's key, and does it open every user's secret?
import type { Store } from '../store/store.js';
import type { UserRow } from '../store/tables.js';
import { bindKey } from './key-binding.js';
import { loadMasterKey } from './master-key.js';
import { openSecret } from './secret-box.js';

/** The IDs of `users` whose secret the key file does not open; throws KeyFileError when it is not the database's key at all. */
export async function usersTheKeyCannotOpen(store: Store, keyFile: string, users: readonly UserRow[]): Promise<string[]> {
  const key = loadMasterKey(keyFile);
  await bindKey(store, key, keyFile, false);
  return users.filter((u) => openSecret(key.secretKey, u.id, u.secret_box) === null).map((u) => u.id);
}

/** The key file on its own, for doctor when no database opened: throws KeyFileError when it is missing, open to others or no astotp key. */
export function checkKeyFile(keyFile: string): void {
  loadMasterKey(keyFile);
}
