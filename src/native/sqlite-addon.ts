// The one SQLite addon of the process, loaded once. Kept apart from the
// store so that code which changes the process's identity can load it while
// still root without importing the store.
import { loadSqliteAddon } from './load-addon.js';

let addon: object | undefined | null = null;

/** The addon object for better-sqlite3's `nativeBinding`; loads it on first use, as whoever we are then. */
export function sqliteAddon(): object | undefined {
  if (addon === null) addon = loadSqliteAddon();
  return addon;
}

/**
 * Loads the SQLite addon now. Root calls this before it takes on another
 * identity, so the native code it runs comes from root's own cache, never
 * from one the Asterisk user could write to.
 */
export function preloadSqliteAddon(): void {
  sqliteAddon();
}
