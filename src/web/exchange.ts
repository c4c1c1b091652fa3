// What every route of the web server shares: one request and its answer
// (Exchange), the security headers of every answer, the page frame (language,
// texts, site), the plain pages that only tell something, and forms read
// through the first half of the CSRF rule (csrf.ts) and the size limits.
// The routes (enrol-routes.ts, account-routes.ts) say what happens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthContext } from '../auth/open-auth.js';
import type { UserLanguage } from '../auth/user-profile.js';
import type { Settings } from '../config/settings.js';
import type { WebSettings } from '../config/web-settings.js';
import { readCookie, setCookie } from './cookies.js';
import { randomBytes } from 'node:crypto';
import { formToken, sameOrigin, tokenMatches } from './csrf.js';
import { CONTENT_SECURITY_POLICY, type PageFrame } from './layout.js';
import { messagePage } from './pages.js';
import type { RequestFacts } from './request-facts.js';
import { fill, localTime, pageLanguage, textsOf, type TextKey } from './texts/index.js';

/** What a request may bring: a form of a few fields, a URL of a link. */
export const LIMITS = { bodyBytes: 8 * 1024, urlBytes: 2048 } as const;
const LANG_COOKIE_SECONDS = 30 * 86400;

export interface WebAppDeps {
  settings: Settings;
  web: WebSettings;
  auth: AuthContext;
  /** Proxies whose X-Forwarded-For and -Proto are believed. */
  trustProxy: readonly string[];
  /** One line per request and per fault; never a token, a code, a PIN or a secret. */
  log: (line: string) => void;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly key: 'error_bad_request' | 'error_forbidden' | 'error_too_large' | 'error_method' | 'error_not_found',
  ) {
    super(key);
  }
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  facts: RequestFacts;
  query: URLSearchParams;
  /** Set-Cookie values of the answer. */
  cookies: string[];
}

/** A route table's answer to one request (the path below base): false when the path is not its own; a method it does not take is a 405. */
export type Routes = (x: Exchange, path: string, method: string) => Promise<boolean>;

export interface Kit {
  d: WebAppDeps;
  /** web_url's path, without a trailing slash ('' at the root). */
  base: string;
  send(x: Exchange, status: number, body: string, extra?: Record<string, string>): void;
  /** 303 to a path under base. */
  redirect(x: Exchange, path: string): void;
  /** The page's language: chosen on the page, else `own` (the invitation's, the user's), else the browser's. */
  frame(x: Exchange, own: string | null, switchable: boolean): PageFrame;
  message(x: Exchange, status: number, f: PageFrame, title: TextKey, ...lines: string[]): void;
  /** A client refused for a while: `key` says for what. */
  throttled(x: Exchange, f: PageFrame, until: number, key: 'throttled' | 'login_throttled'): void;
  /** A POST's form, after the CSRF rule's first half; the second half (which cookie's token) is the route's. */
  readForm(x: Exchange): Promise<URLSearchParams>;
  /** The form token of a page without a session (a link's start page, the login page), made with its form cookie when there is none yet. */
  pageFormToken(x: Exchange): string;
  /** The CSRF rule's second half for such a page's form; throws 403 otherwise. */
  checkPageForm(x: Exchange, form: URLSearchParams): void;
}

export function createKit(d: WebAppDeps): Kit {
  const base = d.web.webUrl === null ? '' : new URL(d.web.webUrl).pathname.replace(/\/+$/, '');
  const siteOrigin = d.web.webUrl === null ? null : new URL(d.web.webUrl).origin;
  const site = d.settings.issuer;

  const headers = (facts: RequestFacts): Record<string, string> => ({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    ...(facts.https ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
  });

  const send = (x: Exchange, status: number, body: string, extra: Record<string, string> = {}): void => {
    x.res.writeHead(status, {
      ...headers(x.facts),
      'Content-Type': 'text/html; charset=utf-8',
      ...(x.cookies.length ? { 'Set-Cookie': x.cookies } : {}),
      ...extra,
    });
    x.res.end(body);
  };

  /** The language chosen on the page (?lang=, then remembered in a cookie). */
  const chosen = (x: Exchange): string | undefined => {
    const asked = x.query.get('lang') ?? undefined;
    if (asked !== undefined && /^[a-z]{2}$/.test(asked)) {
      x.cookies.push(setCookie('lang', asked, x.facts.https, LANG_COOKIE_SECONDS));
      return asked;
    }
    return readCookie(x.req, 'lang', x.facts.https);
  };

  const frame = (x: Exchange, own: string | null, switchable: boolean): PageFrame => {
    const lang = pageLanguage(chosen(x), own, x.req.headers['accept-language']);
    const path = x.req.url!.split('?')[0]!;
    return { lang, t: textsOf(lang), site, switchTo: switchable ? (l: UserLanguage) => `${path}?lang=${l}` : undefined };
  };

  const message = (x: Exchange, status: number, f: PageFrame, title: TextKey, ...lines: string[]): void =>
    send(x, status, messagePage(f, f.t[title], lines));

  return {
    d,
    base,
    send,
    redirect: (x, path) => send(x, 303, '', { Location: `${base}${path}` }),
    frame,
    message,
    throttled: (x, f, until, key) => message(x, 429, f, 'error_title', fill(f.t[key], { time: localTime(f.lang, until) })),
    pageFormToken(x) {
      let form = readCookie(x.req, 'form', x.facts.https);
      if (!form || !/^[A-Za-z0-9_-]{43}$/.test(form)) {
        form = randomBytes(32).toString('base64url');
        x.cookies.push(setCookie('form', form, x.facts.https, 86400));
      }
      return formToken(form);
    },
    checkPageForm(x, form) {
      if (!tokenMatches(readCookie(x.req, 'form', x.facts.https), form.get('csrf') ?? undefined))
        throw new HttpError(403, 'error_forbidden');
    },
    async readForm(x) {
      if (!sameOrigin(x.req, [siteOrigin, x.facts.origin])) throw new HttpError(403, 'error_forbidden');
      const type = (x.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') throw new HttpError(400, 'error_bad_request');
      const declared = Number(x.req.headers['content-length'] ?? 0);
      if (declared > LIMITS.bodyBytes) throw new HttpError(413, 'error_too_large');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of x.req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > LIMITS.bodyBytes) throw new HttpError(413, 'error_too_large');
        chunks.push(chunk);
      }
      return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    },
  };
}
