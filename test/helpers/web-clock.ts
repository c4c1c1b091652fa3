// serve-web run in this process, on a site's database and config, with a
// clock the test sets (clock.t): for the expiry of links and sessions, which
// the bundle's own clock cannot be moved for.
import { openAuth } from '../../src/auth/open-auth.js';
import { loadSettings } from '../../src/config/settings.js';
import { loadWebSettings } from '../../src/config/web-settings.js';
import type { Store } from '../../src/store/store.js';
import type { AuthorityOptions } from '../../src/web/authority-routes.js';
import { startWebServer } from '../../src/web/serve.js';
import type { Site } from './site.js';

export interface ServerOnClock {
  clock: { t: number };
  origin: string;
  /** The server's own store, to look into. */
  store: Store;
  stop(): Promise<void>;
}

/** `authority`: the pbotp authority's console instead of serve-web's pages. */
export async function serveOnClock(site: Site, authority?: AuthorityOptions): Promise<ServerOnClock> {
  const env = site.env;
  const settings = loadSettings({ env });
  const clock = { t: Math.floor(Date.now() / 1000) };
  const auth = await openAuth(settings, { create: false, now: () => clock.t });
  const running = await startWebServer(
    {
      settings,
      web: loadWebSettings({ env }),
      host: '127.0.0.1',
      port: 0,
      tls: null,
      trustProxy: [],
      maxConnections: 16,
      headerTimeoutMs: 5000,
      log: () => undefined,
      ...(authority ? { authority } : {}),
    },
    auth,
  );
  return {
    clock,
    origin: `http://127.0.0.1:${running.port}`,
    store: auth.store,
    stop: async () => {
      await running.close();
      await auth.store.close();
    },
  };
}
