// The web server's requests: the enrolment's four routes under web_url's
// path, each answer with the security headers, every POST through the one
// CSRF rule, and every failure a plain page that changed nothing. The rules
// of enrolling are auth/self-enrolment.ts's; this file speaks HTTP.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACTOR_SOURCE, type Actor } from '../auth/admin-audit.js';
import type { AuthContext } from '../auth/open-auth.js';
import { type EndedStatus, type PendingEnrolment, SelfEnrolment } from '../auth/self-enrolment.js';
import { otpauthUri } from '../auth/totp.js';
import { UserAdmin, UserAdminError } from '../auth/user-admin.js';
import type { UserLanguage } from '../auth/user-profile.js';
import type { Settings } from '../config/settings.js';
import type { WebSettings } from '../config/web-settings.js';
import { readCookie, setCookie } from './cookies.js';
import { formToken, sameOrigin, tokenMatches } from './csrf.js';
import type { PageFrame } from './layout.js';
import { CONTENT_SECURITY_POLICY } from './layout.js';
import { donePage, messagePage, setupPage, startPage } from './pages.js';
import { requestFacts, type RequestFacts } from './request-facts.js';
import { fill, localTime, pageLanguage, textsOf, type Texts } from './texts/index.js';

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

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly key: 'error_bad_request' | 'error_forbidden' | 'error_too_large' | 'error_method' | 'error_not_found',
  ) {
    super(key);
  }
}

/** The access log's path: the token of a link is never written. */
export function loggedPath(url: string): string {
  const path = url.split('?')[0]!.slice(0, 200);
  return path.replace(/\/enrol\/[^/]+/, '/enrol/…').replace(/[^\x21-\x7e…]/g, '?');
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  facts: RequestFacts;
  query: URLSearchParams;
  cookies: string[];
}

export function createWebApp(d: WebAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const trusted = new Set(d.trustProxy);
  const base = d.web.webUrl === null ? '' : new URL(d.web.webUrl).pathname.replace(/\/+$/, '');
  const siteOrigin = d.web.webUrl === null ? null : new URL(d.web.webUrl).origin;
  const admin = new UserAdmin(d.auth, d.settings);
  const enrolment = new SelfEnrolment(d.auth, d.settings, admin);
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

  const frame = (x: Exchange, invitationLanguage: string | null, switchable: boolean): PageFrame => {
    const lang = pageLanguage(chosen(x), invitationLanguage, x.req.headers['accept-language']);
    const path = x.req.url!.split('?')[0]!;
    return { lang, t: textsOf(lang), site, switchTo: switchable ? (l: UserLanguage) => `${path}?lang=${l}` : undefined };
  };

  const message = (x: Exchange, status: number, f: PageFrame, title: keyof Texts, ...lines: string[]): void =>
    send(x, status, messagePage(f, f.t[title], lines));

  const ended = (x: Exchange, f: PageFrame, status: EndedStatus | 'unknown' | 'session'): void => {
    const line = f.t[`ended_${status}`];
    message(x, status === 'unknown' ? 404 : 410, f, 'ended_title', line, f.t.ask_new);
  };

  const throttled = (x: Exchange, f: PageFrame, until: number): void =>
    message(x, 429, f, 'error_title', fill(f.t.throttled, { time: localTime(f.lang, until) }));

  const actor = (x: Exchange): Actor => ({ source: ACTOR_SOURCE.web, who: `invitation link from ${x.facts.client}` });

  /** A POST's form, after the CSRF rule's first half; the second half is the caller's (which cookie). */
  const readForm = async (x: Exchange): Promise<URLSearchParams> => {
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
  };

  async function start(x: Exchange, token: string): Promise<void> {
    const state = await enrolment.lookup(token, x.facts.client);
    const f = frame(x, state.kind === 'pending' ? state.invitation.profile.language : null, true);
    if (state.kind === 'throttled') return throttled(x, f, state.until);
    if (state.kind === 'unknown') return ended(x, f, 'unknown');
    if (state.kind === 'ended') return ended(x, f, state.status);
    let form = readCookie(x.req, 'form', x.facts.https);
    if (!form || !/^[A-Za-z0-9_-]{43}$/.test(form)) {
      form = randomBytes(32).toString('base64url');
      x.cookies.push(setCookie('form', form, x.facts.https, 86400));
    }
    const inv = state.invitation;
    send(
      x,
      200,
      startPage(f, {
        user: inv.user,
        name: inv.profile.display_name,
        expiresAt: inv.expiresAt,
        needsActivationCode: inv.needsActivationCode,
        askPin: d.settings.askPin,
        action: `${base}/enrol/${token}`,
        csrf: formToken(form),
      }),
    );
  }

  async function trade(x: Exchange, token: string): Promise<void> {
    const form = await readForm(x);
    if (!tokenMatches(readCookie(x.req, 'form', x.facts.https), form.get('csrf') ?? undefined)) throw new HttpError(403, 'error_forbidden');
    const outcome = await enrolment.trade(actor(x), token, form.get('activation') ?? '', x.facts.client);
    if (outcome.kind === 'started') {
      x.cookies.push(setCookie('session', outcome.session, x.facts.https, 30 * 60));
      return send(x, 303, '', { Location: `${base}/enrol` });
    }
    if (outcome.kind === 'wrong-code') {
      const state = await enrolment.lookup(token, x.facts.client);
      if (state.kind !== 'pending') return start(x, token);
      const f = frame(x, state.invitation.profile.language, false);
      const inv = state.invitation;
      return send(
        x,
        400,
        startPage(f, {
          user: inv.user,
          name: inv.profile.display_name,
          expiresAt: inv.expiresAt,
          needsActivationCode: true,
          askPin: d.settings.askPin,
          action: `${base}/enrol/${token}`,
          csrf: form.get('csrf')!,
          wrongCode: outcome.left,
        }),
      );
    }
    const f = frame(x, null, false);
    if (outcome.kind === 'throttled') return throttled(x, f, outcome.until);
    if (outcome.kind === 'unknown') return ended(x, f, 'unknown');
    if (outcome.kind === 'ended') return ended(x, f, outcome.status);
  }

  const setupFacts = (e: PendingEnrolment, session: string) => ({
    e,
    uri: otpauthUri(e.params, e.issuer, e.user),
    action: `${base}/enrol`,
    csrf: formToken(session),
    pinMaxDigits: d.settings.pinMaxDigits,
  });

  async function setup(x: Exchange): Promise<void> {
    const session = readCookie(x.req, 'session', x.facts.https);
    const e = session === undefined ? null : await enrolment.pending(session);
    if (!e) return ended(x, frame(x, null, true), 'session');
    send(x, 200, setupPage(frame(x, e.profile.language, true), setupFacts(e, session!)));
  }

  async function finish(x: Exchange): Promise<void> {
    const form = await readForm(x);
    const session = readCookie(x.req, 'session', x.facts.https);
    if (!tokenMatches(session, form.get('csrf') ?? undefined)) throw new HttpError(403, 'error_forbidden');
    const e = await enrolment.pending(session!);
    if (!e) return ended(x, frame(x, null, false), 'session');
    const f = frame(x, e.profile.language, false);
    let outcome: Awaited<ReturnType<SelfEnrolment['finish']>>;
    try {
      outcome = await enrolment.finish(actor(x), e, {
        code: form.get('code') ?? '',
        pin: form.get('pin') ?? '',
        pinAgain: form.get('pin_again') ?? '',
        language: f.lang,
      });
    } catch (err) {
      if (!(err instanceof UserAdminError)) throw err;
      if (err.code === 'exists') return ended(x, f, 'used');
      if (err.code === 'invitation-ended') return ended(x, f, err.ended ?? 'session');
      throw err;
    }
    if (outcome.kind === 'invalid') return send(x, 400, setupPage(f, { ...setupFacts(e, session!), problems: outcome.problems }));
    x.cookies.push(setCookie('session', '', x.facts.https, 0));
    send(x, 200, donePage(f, { user: e.user, codes: outcome.recoveryCodes, extension: d.web.testExtension, askPin: e.askPin }));
  }

  async function route(x: Exchange, path: string): Promise<void> {
    const method = x.req.method ?? '';
    const read = method === 'GET' || method === 'HEAD';
    if (!path.startsWith(`${base}/`)) throw new HttpError(404, 'error_not_found');
    const rest = path.slice(base.length);
    if (rest === '/enrol') {
      if (read) return setup(x);
      if (method === 'POST') return finish(x);
    } else if (/^\/enrol\/[^/]+$/.test(rest)) {
      let token: string;
      try {
        token = decodeURIComponent(rest.slice('/enrol/'.length));
      } catch {
        throw new HttpError(400, 'error_bad_request');
      }
      if (read) return start(x, token);
      if (method === 'POST') return trade(x, token);
    } else throw new HttpError(404, 'error_not_found');
    x.cookies.length = 0;
    throw new HttpError(405, 'error_method');
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
      const f = frame({ ...x, query: new URLSearchParams() }, null, false);
      if (err instanceof HttpError) {
        x.cookies.length = 0;
        return send(x, err.status, messagePage(f, f.t.error_title, [f.t[err.key]]), err.status === 405 ? { Allow: 'GET, HEAD, POST' } : {});
      }
      d.log(`error: ${err instanceof Error ? err.message : String(err)}`);
      x.cookies.length = 0;
      send(x, 500, messagePage(f, f.t.error_title, [f.t.error_server]));
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
