// The pbotp authority's console and API (astotp pbotp serve): approvers log
// in (auth/authority.ts's rules, the login sessions of every web login), open
// a challenge link or type a challenge's digits, see which login it is for,
// and confirm; only the confirming POST computes a response, and only for a
// login the approver's role covers. A helpdesk tool asks GET
// /GROUP/HOST/USER/CHALLENGE with Authorization: Bearer TOKEN and gets JSON.
// Every form carries the token of the session's cookie (csrf.ts).
import { type Asker, Authority, challengeFingerprint } from '../auth/authority.js';
import { describeRights } from '../auth/approver-rights.js';
import type { Account } from '../auth/account-login.js';
import { parseChallenge } from '../pbotp/challenge-text.js';
import { groupCode, toCode, toPhrase } from '../pbotp/encode.js';
import { PbotpInputError } from '../pbotp/errors.js';
import { checkLogin, type LoginFields } from '../pbotp/login.js';
import { type ChallengeRequest, challengePath, parseChallengeSegments, parseChallengeUrl } from '../pbotp/url.js';
import { approverLoginPage, type ConsoleFacts, confirmPage, consolePage, responsePage } from './authority-pages.js';
import { readCookie, setCookie } from './cookies.js';
import { formToken, tokenMatches } from './csrf.js';
import { type Exchange, HttpError, type Kit, type Routes } from './exchange.js';
import type { PageFrame } from './layout.js';
import { messagePage } from './pages.js';
import { textsOf } from './texts/index.js';

export interface AuthorityOptions {
  privateKey: Uint8Array;
  codeDigits: number;
  phraseWords: number;
  /** --allow-group: the groups this server answers for at all, whatever a role says; undefined for all. */
  allowGroups?: readonly string[];
}

/**
 * Where a login may lead back to: a challenge page's path as challengePath
 * writes it (names of pbotp's characters, percent escapes, a base64url or
 * digit challenge), so never another site (a "/\\host" a browser reads as "//host").
 */
const CHALLENGE_PATH = /^(\/[A-Za-z0-9_.@%-]+){3}\/[A-Za-z0-9_-]+$/;

/**
 * The token of an Authorization header of the scheme Bearer (any case, as
 * RFC 7235 has schemes), '' for a malformed one, which counts as a bad
 * token; undefined for no header or another scheme: a reverse proxy's Basic
 * or Negotiate reaches the console with the browser's requests, which are
 * then the console's as if there were no header.
 */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || !/^bearer(?:\s|$)/i.test(header)) return undefined;
  return /^bearer +([\x21-\x7e]{1,200})$/i.exec(header)?.[1] ?? '';
}

export function authorityRoutes(k: Kit, o: AuthorityOptions): Routes {
  const { d, base } = k;
  const authority = new Authority(d.auth, d.settings, o.privateKey, o.allowGroups);
  const askPin = d.settings.askPin;
  const frame: PageFrame = { lang: 'en', t: textsOf('en'), site: 'pbotp authority' };

  const cookieOf = (x: Exchange) => readCookie(x.req, 'approver', x.facts.https);
  const clearCookie = (x: Exchange) => x.cookies.push(setCookie('approver', '', x.facts.https, 0));
  const bad = (x: Exchange, status: number, message: string) => k.send(x, status, messagePage(frame, frame.t.error_title, [message]));
  const loginLink = { href: `${base}/login`, text: 'Log in again' };

  async function showLogin(x: Exchange, status = 200, typed = '', refused = false): Promise<void> {
    const until = await authority.login.throttledUntil(x.facts.client);
    if (until !== null) return k.throttled(x, frame, until, 'login_throttled');
    const next = x.query.get('next');
    const action = `${base}/login${next !== null && CHALLENGE_PATH.test(next) ? `?next=${encodeURIComponent(next)}` : ''}`;
    k.send(x, status, approverLoginPage(frame, { action, csrf: k.pageFormToken(x), user: typed, askPin, refused }));
  }

  async function doLogin(x: Exchange): Promise<void> {
    const form = await k.readForm(x);
    k.checkPageForm(x, form);
    const typed = form.get('user') ?? '';
    const outcome = await authority.login.login(
      { user: typed, pin: form.get('pin') ?? '', code: form.get('code') ?? '' },
      x.facts.client,
      cookieOf(x),
    );
    if (outcome.kind === 'throttled') return k.throttled(x, frame, outcome.until, 'login_throttled');
    if (outcome.kind === 'refused') return showLogin(x, 400, typed.slice(0, 100), true);
    x.cookies.push(setCookie('approver', outcome.session, x.facts.https, authority.login.sessions.policy.lifetimeSeconds));
    const next = x.query.get('next');
    k.redirect(x, next !== null && CHALLENGE_PATH.test(next) ? next : '/');
  }

  /** The approver the cookie is logged in as; a GET without one goes to the login, a POST is told it is over. */
  async function approver(x: Exchange, post: boolean, next?: string): Promise<Account | null> {
    const cookie = cookieOf(x);
    const a = await authority.login.resume(cookie);
    if (a) return a;
    if (cookie !== undefined) clearCookie(x);
    if (post) k.send(x, 401, messagePage(frame, frame.t.logged_out_title, [frame.t.session_over], loginLink));
    else k.redirect(x, next === undefined ? '/login' : `/login?next=${encodeURIComponent(next)}`);
    return null;
  }

  async function sessionForm(x: Exchange): Promise<URLSearchParams> {
    const form = await k.readForm(x);
    if (!tokenMatches(cookieOf(x), form.get('csrf') ?? undefined)) throw new HttpError(403, 'error_forbidden');
    return form;
  }

  /** GET /: the form, or (with a link or typed fields in the query) on to that challenge's page. */
  async function home(x: Exchange): Promise<void> {
    const a = await approver(x, false);
    if (!a) return;
    const rights = await authority.rights(a.user);
    const facts: ConsoleFacts = {
      base,
      csrf: formToken(cookieOf(x)!),
      approver: a.user,
      rights: rights === null ? 'nothing' : describeRights(rights),
    };
    const q = x.query;
    const names = ['link', 'group', 'host', 'user', 'challenge'] as const;
    if (!names.some((n) => q.has(n))) return k.send(x, 200, consolePage(frame, facts));
    const values = Object.fromEntries(names.map((n) => [n, (q.get(n) ?? '').trim().slice(0, 1000)]));
    try {
      let r: ChallengeRequest;
      if (q.has('link')) r = parseChallengeUrl(values.link!);
      else {
        const login = { group: values.group!, host: values.host!, user: values.user! };
        checkLogin(login);
        r = { login, challenge: parseChallenge(values.challenge!) };
      }
      k.redirect(x, `/${challengePath(r.login, r.challenge)}`);
    } catch (err) {
      if (!(err instanceof PbotpInputError)) throw err;
      k.send(x, 400, consolePage(frame, { ...facts, values, error: err.message }));
    }
  }

  const noRight = (login: LoginFields) =>
    `You may not approve logins of group ${login.group} on host ${login.host} here: no response was made.`;

  /** The response shown, or why there is none; `asker` must have been checked for this very request. */
  async function issue(x: Exchange, asker: Asker, r: ChallengeRequest): Promise<void> {
    const outcome = await authority.issue(asker, r.login, r.challenge, x.facts.client);
    if (asker.via === 'api') {
      if (outcome.kind === 'issued')
        return sendJson(x, 200, {
          group: r.login.group,
          host: r.login.host,
          user: r.login.user,
          code: toCode(outcome.response, o.codeDigits),
          phrase: toPhrase(outcome.response, o.phraseWords),
        });
      return sendJson(x, outcome.kind === 'ended' ? 401 : 403, { error: outcome.kind === 'ended' ? 'token not valid' : 'no right' });
    }
    if (outcome.kind === 'ended') {
      clearCookie(x);
      return k.send(x, 401, messagePage(frame, frame.t.logged_out_title, [frame.t.session_over], loginLink));
    }
    if (outcome.kind === 'no-right') return bad(x, 403, noRight(r.login));
    const code = groupCode(toCode(outcome.response, o.codeDigits));
    k.send(x, 200, responsePage(frame, { base, login: r.login, code, phrase: toPhrase(outcome.response, o.phraseWords) }));
  }

  function sendJson(x: Exchange, status: number, body: object): void {
    k.send(x, status, JSON.stringify(body), {
      'Content-Type': 'application/json; charset=utf-8',
      ...(status === 401 ? { 'WWW-Authenticate': 'Bearer realm="pbotp"' } : {}),
    });
  }

  async function challengePage(x: Exchange, path: string, method: string): Promise<void> {
    let r: ChallengeRequest;
    try {
      r = parseChallengeSegments(path.slice(1).split('/'));
    } catch (err) {
      if (!(err instanceof PbotpInputError)) throw err;
      return bad(x, 400, err.message);
    }
    const bearer = bearerToken(x.req.headers.authorization);
    if (bearer !== undefined) {
      // Not HEAD: a response made is a response recorded, so it is also sent.
      if (method !== 'GET') throw new HttpError(405, 'error_method');
      const token = await authority.apiUser(bearer, x.facts.client);
      if (token === null) return sendJson(x, 401, { error: 'token not valid' });
      if ('throttled' in token)
        return sendJson(x, 429, { error: 'too many bad tokens from this address', until: new Date(token.throttled * 1000).toISOString() });
      return issue(x, { via: 'api', ...token }, r);
    }
    const post = method === 'POST';
    const form = post ? await sessionForm(x) : null;
    const a = await approver(x, post, `/${challengePath(r.login, r.challenge)}`);
    if (!a) return;
    const asker: Asker = { via: 'web', user: a.user, session: a.session };
    if (!(await authority.covers(a.user, r.login)))
      // A confirmation forged past the page is refused by issue(), and recorded.
      return form === null ? bad(x, 403, noRight(r.login)) : issue(x, asker, r);
    const facts = {
      base,
      action: `${base}/${challengePath(r.login, r.challenge)}`,
      csrf: formToken(cookieOf(x)!),
      login: r.login,
      fingerprint: challengeFingerprint(r.challenge),
      needCode: !authority.isFresh(a.session),
    };
    if (form === null) return k.send(x, 200, confirmPage(frame, facts));
    if (facts.needCode) {
      const code = form.get('code') ?? '';
      if (code.trim() === '' || !(await authority.confirmCode(a.session, a.user, code, x.facts.client)))
        return k.send(x, 400, confirmPage(frame, { ...facts, wrongCode: true }));
    }
    await issue(x, asker, r);
  }

  async function logout(x: Exchange): Promise<void> {
    await sessionForm(x);
    await authority.login.logout(cookieOf(x));
    clearCookie(x);
    k.send(x, 200, messagePage(frame, frame.t.logged_out_title, [frame.t.logged_out], loginLink));
  }

  return async (x, path, method) => {
    const read = method === 'GET' || method === 'HEAD';
    const only = (ok: boolean) => {
      if (!ok) throw new HttpError(405, 'error_method');
    };
    if (path === '/') {
      only(read);
      await home(x);
    } else if (path === '/login') {
      only(read || method === 'POST');
      await (read ? showLogin(x) : doLogin(x));
    } else if (path === '/logout') {
      only(method === 'POST');
      await logout(x);
    } else if (path.split('/').length === 5) {
      only(read || method === 'POST');
      await challengePage(x, path, method);
    } else return false;
    return true;
  };
}
