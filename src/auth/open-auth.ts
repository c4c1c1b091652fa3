// Everything a verification needs, opened together: the database, its key
// file (checked to belong to it) and the rules from the settings.
import type { Settings } from '../config/settings.js';
import { whenNotBusy } from '../store/busy-wait.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { systemClock, type Clock } from './clock.js';
import { bindKey, refuseNewKey } from './key-binding.js';
import { loadMasterKey, loadOrCreateMasterKey, type MasterKey } from './master-key.js';
import { Verifier } from './verifier.js';

export interface AuthContext {
  store: Store;
  key: MasterKey;
  verifier: Verifier;
  /** True when this call created the key file. */
  keyCreated: boolean;
  /** The clock the verifiers and audit rows of this context run on. */
  now: Clock;
}

export interface OpenAuthOptions {
  /** For the admin CLI only: a call never creates a database or a key. */
  create: boolean;
  /** SQLite may sleep the process on a lock (the CLI's way). */
  blocking?: boolean;
  /** PostgreSQL connections at most: one for a classic call and the CLI, db_pool for a FastAGI server. */
  poolSize?: number;
  now?: Clock;
  /** A call's: a pbotp authority's database is refused (no PBX writes it). */
  forCall?: boolean;
}

export async function openAuth(s: Settings, opts: OpenAuthOptions): Promise<AuthContext> {
  const { create, blocking = true, poolSize = 1, now = systemClock, forCall = false } = opts;
  const store = await openStore(s.db, {
    create,
    blocking,
    timeoutMs: s.dbTimeoutMs,
    connectTimeoutMs: s.dbConnectTimeoutMs,
    insecureTls: s.dbInsecureTls,
    poolSize,
  });
  try {
    const { key, created } = create
      ? await loadOrCreateMasterKey(s.keyFile, () => refuseNewKey(store, s.keyFile))
      : { key: loadMasterKey(s.keyFile), created: false };
    await bindKey(store, key, s.keyFile, create, forCall);
    const verifier = new Verifier(
      store,
      key,
      {
        window: s.window,
        hotpWindow: s.hotpWindow,
        lockoutFailures: s.lockoutFailures,
        lockoutMinutes: s.lockoutMinutes,
        lockoutMaxMinutes: s.lockoutMaxMinutes,
        lockoutMaxFailures: s.lockoutMaxFailures,
      },
      now,
    );
    return { store, key, verifier, keyCreated: created, now };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * For a server or a call: opens without ever sleeping the process on a lock,
 * so a FastAGI or web server goes on serving the others while this waits up
 * to db_timeout. A failed try has closed what it opened, so trying again
 * starts afresh.
 */
export function openAuthNonBlocking(s: Settings, opts: { now?: Clock; poolSize?: number; forCall?: boolean } = {}): Promise<AuthContext> {
  return whenNotBusy(() => openAuth(s, { create: false, blocking: false, ...opts }), { path: s.db, timeoutMs: s.dbTimeoutMs });
}
