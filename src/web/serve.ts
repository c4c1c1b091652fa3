// astotp serve-web: the enrolment pages on node:http or node:https, with the
// limits every socket gets (header size and time, body size, idle sockets,
// connections at most), TLS whose certificate and key are read again on
// SIGHUP, root dropped before anything is read or opened, and a clean stop
// on SIGTERM.
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Clock } from '../auth/clock.js';
import { type AuthContext, openAuthNonBlocking } from '../auth/open-auth.js';
import { Reopening } from '../auth/reopening.js';
import { ownerAnchor, type Settings } from '../config/settings.js';
import { isLoopbackHost, type WebSettings } from '../config/web-settings.js';
import { preloadSqliteAddon } from '../native/sqlite-addon.js';
import { dropRootForGood } from '../os/identity.js';
import { createWebApp } from './app.js';
import { errorMessage } from '../text/error-message.js';
import { type AuthorityOptions, authorityRoutes } from './authority-routes.js';
import { isAuthority } from '../auth/authority-admin.js';

export interface WebServerOptions {
  settings: Settings;
  web: WebSettings;
  host: string;
  port: number;
  tls: { cert: string; key: string } | null;
  trustProxy: readonly string[];
  /** Sockets open at once, from everyone. */
  maxConnections: number;
  /** A request's whole header must have arrived by then. */
  headerTimeoutMs: number;
  log: (line: string) => void;
  /** The pbotp authority's console instead of the users' pages (astotp pbotp serve). */
  authority?: AuthorityOptions;
}

const MAX_HEADER_BYTES = 8 * 1024;
/** A whole request, header and body. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A kept-alive socket with no request. */
const KEEP_ALIVE_MS = 5_000;
/** Any socket with no traffic. */
const IDLE_SOCKET_MS = 60_000;

export interface RunningWebServer {
  server: Server;
  address: string;
  port: number;
  /** Reads the certificate and key again; the old ones stay when the new ones do not load. */
  reloadTls(): void;
  close(): Promise<void>;
}

/** The certificate and key as TLS takes them, checked to belong together. */
function readTls(tls: { cert: string; key: string }, warn: (line: string) => void): SecureContextOptions {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(
        `cannot read the TLS ${what} ${path} as uid ${process.getuid?.()} (${(err as NodeJS.ErrnoException).code ?? 'error'}): serve-web reads it after dropping root, and again on SIGHUP`,
      );
    }
  };
  const options = { cert: read('certificate', tls.cert), key: read('key', tls.key) };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`the TLS certificate ${tls.cert} and key ${tls.key} cannot be used together: ${errorMessage(err)}`);
  }
  const permissions = statSync(tls.key).mode & 0o777;
  if (permissions & 0o077) warn(`the TLS key ${tls.key} is readable by others (mode ${permissions.toString(8)}); chmod 600 it`);
  return options;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The app of whatever `auth` has open now: one app per opening, so a
 * database or key file replaced on disk (a restore) is served with what is
 * on disk from the next request on. While it cannot be opened (a key that
 * does not match the database) every request is a 503 that changed nothing.
 */
function currentApp(auth: AuthContext | Reopening<AuthContext>, make: (a: AuthContext) => Handler, log: (line: string) => void): Handler {
  if (!(auth instanceof Reopening)) return make(auth);
  const apps = new WeakMap<AuthContext, Handler>();
  let told: string | null = null;
  return (req, res) => {
    auth.get().then(
      (a) => {
        told = null;
        let app = apps.get(a);
        if (!app) apps.set(a, (app = make(a)));
        app(req, res);
      },
      (err: unknown) => {
        const why = errorMessage(err);
        if (why !== told) log(`error: ${why}; every request is refused until it can be opened`);
        told = why;
        res.writeHead(503, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Cache-Control': 'no-store',
          'Content-Security-Policy': "default-src 'none'",
        });
        res.end('Service unavailable\n');
      },
    );
  };
}

/** Listens with the app on `auth`; the caller owns auth and closes it after the server. */
export async function startWebServer(o: WebServerOptions, auth: AuthContext | Reopening<AuthContext>): Promise<RunningWebServer> {
  if (o.tls === null && o.trustProxy.length === 0 && !isLoopbackHost(o.host))
    throw new Error(
      `${o.authority ? 'pbotp serve' : 'serve-web'} speaks plain HTTP on ${o.host} only behind a reverse proxy: give --tls-cert and --tls-key, or --trust-proxy ADDR for the proxy (or listen on loopback)`,
    );
  const authority = o.authority;
  // The mark is the database's, not the key's: read on the first opening, as the server starts.
  const first = auth instanceof Reopening ? await auth.get() : auth;
  if (authority && !(await first.store.read(isAuthority)))
    throw new Error(
      `${first.store.name} is not a pbotp authority's database: its users cannot approve logins (astotp init --authority makes a new one; --no-login serves without approvers)`,
    );
  const app = currentApp(
    auth,
    (a) =>
      createWebApp(
        { settings: o.settings, web: o.web, auth: a, trustProxy: o.trustProxy, log: o.log },
        authority === undefined ? undefined : (k) => [authorityRoutes(k, authority)],
      ),
    o.log,
  );
  const limits = {
    maxHeaderSize: MAX_HEADER_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    headersTimeout: o.headerTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_MS,
  };
  const tls = o.tls;
  const server = tls ? createHttpsServer({ ...limits, ...readTls(tls, o.log), minVersion: 'TLSv1.2' }, app) : createHttpServer(limits, app);
  server.maxConnections = o.maxConnections;
  server.timeout = IDLE_SOCKET_MS;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    server,
    address: bound.address,
    port: bound.port,
    reloadTls: () => {
      if (!tls) return;
      (server as ReturnType<typeof createHttpsServer>).setSecureContext(readTls(tls, o.log));
    },
    close: () =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), 5_000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** The command: runs until SIGTERM or SIGINT; `now` for tests that set the clock. */
export async function serveWeb(o: WebServerOptions, now?: Clock): Promise<number> {
  if (o.web.webUrl === null && !o.authority) o.log('warning: web_url is not set in [web] of astotp.conf: invite cannot make links');
  const { warning } = dropRootForGood(ownerAnchor(o.settings), preloadSqliteAddon);
  if (warning) o.log(`warning: ${warning}`);
  // The database and its -wal/-shm files hold PIN hashes and sealed secrets.
  process.umask(0o077);
  process.on('unhandledRejection', (err) => o.log(`internal error: ${errorMessage(err)}`));
  const auth = new Reopening(
    { db: o.settings.db, keyFile: o.settings.keyFile },
    () => openAuthNonBlocking(o.settings, { poolSize: o.settings.dbPoolSize, ...(now ? { now } : {}) }),
    (a) => a.store.close(),
  );
  // Opened before listening: a site that cannot be opened does not start.
  await auth.get();
  let running: RunningWebServer;
  try {
    running = await startWebServer(o, auth);
  } catch (err) {
    await auth.close();
    throw err;
  }
  const scheme = o.tls ? 'https' : 'http';
  const host = running.address.includes(':') ? `[${running.address}]` : running.address;
  o.log(`listening on ${scheme}://${host}:${running.port} as uid ${process.getuid?.() ?? '?'} (database ${o.settings.db})`);
  const onHup = () => {
    try {
      running.reloadTls();
      o.log('SIGHUP: TLS certificate and key read again');
    } catch (err) {
      o.log(`SIGHUP: ${errorMessage(err)}; the previous certificate stays`);
    }
  };
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      o.log(`${signal}: no new requests; finishing those in progress`);
      void running
        .close()
        .then(() => auth.close())
        .then(() => {
          o.log('stopped');
          resolve();
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  process.off('SIGHUP', onHup);
  return 0;
}
