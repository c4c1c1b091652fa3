// Doctor's question about a key file, asked without opening a secret above
// this layer: is it the database's key, and does it open every token's secret?
import type { Store } from '../store/store.js';
import type { TokenRow } from '../store/tables.js';
import { bindKey } from './key-binding.js';
import { loadMasterKey } from './master-key.js';
import { openTokenSecret } from './tokens.js';

/** The serials of `tokens` whose secret the key file does not open; throws KeyFileError when it is not the database's key at all. */
export async function tokensTheKeyCannotOpen(store: Store, keyFile: string, tokens: readonly TokenRow[]): Promise<string[]> {
  const key = loadMasterKey(keyFile);
  await bindKey(store, key, keyFile, false);
  return tokens.filter((k) => openTokenSecret(key.secretKey, k) === null).map((k) => k.serial);
}

/** The key file on its own, for doctor when no database opened: throws KeyFileError when it is missing, open to others or no astotp key. */
export function checkKeyFile(keyFile: string): void {
  loadMasterKey(keyFile);
}
