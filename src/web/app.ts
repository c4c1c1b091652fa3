// The web server's requests: each route table under web_url's path (the
// enrolment's, the account's), each answer with the security headers, every
// POST through the one CSRF rule, and every failure a plain page that
// changed nothing. What each route does is in its table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UserAdmin } from '../auth/user-admin.js';
import { accountRoutes } from './account-routes.js';
import { enrolRoutes } from './enrol-routes.js';
import { createKit, type Exchange, HttpError, type Kit, LIMITS, type Routes, type WebAppDeps } from './exchange.js';
import { messagePage } from './pages.js';
import { requestFacts } from './request-facts.js';
import { errorMessage } from '../text/error-message.js';

/** The access log's path: the token of a link is never written. */
function loggedPath(url: string): string {
  const path = url.split('?')[0]!.slice(0, 200);
  return path.replace(/\/enrol\/[^/]+/, '/enrol/…').replace(/[^\x21-\x7e…]/g, '?');
}

/** serve-web's route tables: the enrolment's and the account's. */
function userRoutes(k: Kit): Routes[] {
  const admin = new UserAdmin(k.d.auth, k.d.settings);
  return [enrolRoutes(k, admin), accountRoutes(k, admin)];
}

/** `routes`: the tables of this server (serve-web's, or the pbotp authority's console). */
export function createWebApp(
  d: WebAppDeps,
  routes: (k: Kit) => Routes[] = userRoutes,
): (req: IncomingMessage, res: ServerResponse) => void {
  const trusted = new Set(d.trustProxy);
  const k = createKit(d);
  const tables = routes(k);

  async function route(x: Exchange, path: string): Promise<void> {
    const method = x.req.method ?? '';
    if (path !== k.base && !path.startsWith(`${k.base}/`)) throw new HttpError(404, 'error_not_found');
    const rest = path.slice(k.base.length) || '/';
    for (const table of tables) if (await table(x, rest, method)) return;
    throw new HttpError(404, 'error_not_found');
  }

  return (req, res) => {
    const began = Date.now();
    const facts = requestFacts(req, trusted);
    const x: Exchange = { req, res, facts, query: new URLSearchParams(), cookies: [] };
    res.on('close', () =>
      d.log(`${facts.client} ${String(req.method).slice(0, 10)} ${loggedPath(req.url ?? '-')} ${res.statusCode} ${Date.now() - began}ms`),
    );
    const fail = (err: unknown): void => {
      if (res.headersSent) return void res.destroy();
      const f = k.frame({ ...x, query: new URLSearchParams() }, null, false);
      x.cookies.length = 0;
      if (err instanceof HttpError)
        return k.send(
          x,
          err.status,
          messagePage(f, f.t.error_title, [f.t[err.key]]),
          err.status === 405 ? { Allow: 'GET, HEAD, POST' } : {},
        );
      d.log(`error: ${errorMessage(err)}`);
      k.send(x, 500, messagePage(f, f.t.error_title, [f.t.error_server]));
    };
    try {
      const url = req.url ?? '';
      if (url.length > LIMITS.urlBytes || !url.startsWith('/'))
        throw new HttpError(url.length > LIMITS.urlBytes ? 414 : 400, 'error_bad_request');
      const q = url.indexOf('?');
      x.query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      route(x, q < 0 ? url : url.slice(0, q)).catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}
