// The account's routes: the login (its form carries the page's own form
// cookie's token), then pages of a login session, each form carrying the
// token of the session's cookie. The rules are auth/account-login.ts's and
// auth/self-service.ts's; this file speaks HTTP. A request without a live
// session is sent to the login page (GET) or told it is logged out (POST).
import { ACCOUNT_SESSION, type Account, AccountLogin } from '../auth/account-login.js';
import { NEW_RECOVERY_CODES, SelfService } from '../auth/self-service.js';
import { otpauthUri } from '../auth/totp.js';
import type { UserAdmin } from '../auth/user-admin.js';
import { accountPage, loginPage, phoneSetupPage, phoneStartPage, pinPage, recoveryDonePage, recoveryPage } from './account-pages.js';
import { readCookie, setCookie } from './cookies.js';
import { formToken, tokenMatches } from './csrf.js';
import { type Exchange, HttpError, type Kit, type Routes } from './exchange.js';
import type { PageFrame } from './layout.js';
import { messagePage } from './pages.js';
import { fill } from './texts/index.js';

/** A page of the session: its account, the page's frame, and the form of a POST (checked against the session's token). */
interface InSession {
  a: Account;
  f: PageFrame;
  form: URLSearchParams;
  csrf: string;
}

export function accountRoutes(k: Kit, admin: UserAdmin): Routes {
  const { d, base } = k;
  const login = new AccountLogin(d.auth, d.settings);
  const service = new SelfService(d.auth, d.settings, admin, login.sessions);
  const askPin = d.settings.askPin;

  const cookieOf = (x: Exchange) => readCookie(x.req, 'login', x.facts.https);
  const clearCookie = (x: Exchange) => x.cookies.push(setCookie('login', '', x.facts.https, 0));

  /** The end of a session: a page saying so, with the way back in. */
  const loggedOut = (x: Exchange, status: number, f: PageFrame, ...lines: string[]) => {
    clearCookie(x);
    k.send(x, status, messagePage(f, f.t.logged_out_title, lines, { href: `${base}/login`, text: f.t.login_again }));
  };

  async function showLogin(x: Exchange, status = 200, typed = '', refused = false): Promise<void> {
    const f = k.frame(x, null, status === 200);
    const until = await login.throttledUntil(x.facts.client);
    if (until !== null) return k.throttled(x, f, until, 'login_throttled');
    k.send(x, status, loginPage(f, { action: `${base}/login`, csrf: k.pageFormToken(x), user: typed, askPin, refused }));
  }

  async function doLogin(x: Exchange): Promise<void> {
    const form = await k.readForm(x);
    k.checkPageForm(x, form);
    const typed = form.get('user') ?? '';
    const outcome = await login.login(
      { user: typed, pin: form.get('pin') ?? '', code: form.get('code') ?? '' },
      x.facts.client,
      cookieOf(x),
    );
    if (outcome.kind === 'throttled') return k.throttled(x, k.frame(x, null, false), outcome.until, 'login_throttled');
    if (outcome.kind === 'refused') return showLogin(x, 400, typed.slice(0, 100), true);
    x.cookies.push(setCookie('login', outcome.session, x.facts.https, ACCOUNT_SESSION.lifetimeSeconds));
    k.redirect(x, outcome.lostPhone ? '/account/phone' : '/account');
  }

  /** A POST's form, through the CSRF rule with the session cookie's token, before the session is even looked up. */
  async function sessionForm(x: Exchange): Promise<URLSearchParams> {
    const form = await k.readForm(x);
    if (!tokenMatches(cookieOf(x), form.get('csrf') ?? undefined)) throw new HttpError(403, 'error_forbidden');
    return form;
  }

  /** Runs a page of the session; `form`: a POST's, already through sessionForm. */
  async function inSession(x: Exchange, form: URLSearchParams | null, page: (s: InSession) => Promise<void>): Promise<void> {
    const cookie = cookieOf(x);
    const a = await login.resume(cookie);
    if (!a) {
      if (cookie !== undefined) clearCookie(x);
      if (form === null) return k.redirect(x, '/login');
      const f = k.frame(x, null, false);
      return loggedOut(x, 401, f, f.t.session_over);
    }
    await page({ a, f: k.frame(x, a.profile.language, form === null), form: form ?? new URLSearchParams(), csrf: formToken(cookie!) });
  }

  const credentials = (form: URLSearchParams) => ({ pin: form.get('pin') ?? '', code: form.get('code') ?? '' });
  const ended = (x: Exchange, f: PageFrame) => loggedOut(x, 401, f, f.t.session_over);

  async function account(x: Exchange, { a, f, csrf }: InSession): Promise<void> {
    const o = await service.overview(a);
    k.send(
      x,
      200,
      accountPage(f, {
        user: a.user,
        name: a.profile.display_name,
        codesLeft: o.recoveryCodesLeft,
        endsAt: a.session.endsAt,
        askPin,
        activity: o.activity,
        base,
        csrf,
      }),
    );
  }

  async function pin(x: Exchange, method: string, { a, f, form, csrf }: InSession): Promise<void> {
    if (!askPin) throw new HttpError(404, 'error_not_found');
    const facts = { action: `${base}/account/pin`, csrf, base, pinMaxDigits: d.settings.pinMaxDigits };
    if (method !== 'POST') return k.send(x, 200, pinPage(f, facts));
    const r = await service.changePin(a, x.facts.client, {
      ...credentials(form),
      newPin: form.get('new_pin') ?? '',
      newPinAgain: form.get('new_pin_again') ?? '',
    });
    if (r.kind === 'invalid') return k.send(x, 400, pinPage(f, { ...facts, problem: r.problems.newPin }));
    if (r.kind === 'refused') return k.send(x, 400, pinPage(f, { ...facts, refused: true }));
    if (r.kind === 'ended') return ended(x, f);
    clearCookie(x);
    k.send(x, 200, messagePage(f, f.t.pin_done_title, [f.t.pin_done], { href: `${base}/login`, text: f.t.login_again }));
  }

  async function recovery(x: Exchange, method: string, { a, f, form, csrf }: InSession): Promise<void> {
    const facts = { action: `${base}/account/recovery`, csrf, base, askPin, count: NEW_RECOVERY_CODES };
    if (method !== 'POST') return k.send(x, 200, recoveryPage(f, facts));
    const r = await service.renewRecoveryCodes(a, x.facts.client, credentials(form));
    if (r.kind === 'refused') return k.send(x, 400, recoveryPage(f, { ...facts, refused: true }));
    if (r.kind === 'ended') return ended(x, f);
    k.send(x, 200, recoveryDonePage(f, { base, codes: r.codes }));
  }

  async function phone(x: Exchange, method: string, s: InSession): Promise<void> {
    const { a, f, form, csrf } = s;
    const action = `${base}/account/phone`;
    const move = service.pendingMove(a);
    const setup = (status: number, problem?: 'missing' | 'wrong') => {
      const p = move!.params;
      const facts = fill(f.t.setup_facts, {
        user: a.user,
        issuer: d.settings.issuer,
        digits: p.digits,
        period: p.period,
        algorithm: p.algorithm,
      });
      const lostPhone = a.session.data.lostPhone === true;
      k.send(
        x,
        status,
        phoneSetupPage(f, {
          action,
          csrf,
          uri: otpauthUri(p, d.settings.issuer, a.user),
          secret: p.secret,
          facts,
          digits: p.digits,
          until: move!.until,
          lostPhone,
          problem,
        }),
      );
    };
    const start = (status: number, refused?: boolean) => k.send(x, status, phoneStartPage(f, { action, csrf, base, askPin, refused }));
    if (method !== 'POST') return move ? setup(200) : start(200);
    const step = form.get('step');
    if (step === 'cancel') {
      if (move) await service.cancelMove(a);
      return k.redirect(x, '/account');
    }
    if (step === 'confirm') {
      if (!move) return start(400);
      const r = await service.confirmMove(a, x.facts.client, form.get('code') ?? '');
      if (r.kind === 'invalid') return setup(400, r.missing ? 'missing' : 'wrong');
      if (r.kind === 'ended') return ended(x, f);
      clearCookie(x);
      return k.send(x, 200, messagePage(f, f.t.phone_done_title, [f.t.phone_done], { href: `${base}/login`, text: f.t.login_again }));
    }
    if (step !== 'start') throw new HttpError(400, 'error_bad_request');
    const r = await service.startMove(a, x.facts.client, credentials(form));
    if (r.kind === 'refused') return start(400, true);
    if (r.kind === 'ended') return ended(x, f);
    k.redirect(x, '/account/phone');
  }

  async function logout(x: Exchange, everywhere: boolean): Promise<void> {
    const form = await sessionForm(x);
    if (everywhere)
      return inSession(x, form, async ({ a, f }) => {
        await service.endEverywhere(a, x.facts.client);
        loggedOut(x, 200, f, f.t.logged_out_all);
      });
    await login.logout(cookieOf(x));
    const f = k.frame(x, null, false);
    loggedOut(x, 200, f, f.t.logged_out);
  }

  return async (x, path, method) => {
    const read = method === 'GET' || method === 'HEAD';
    const only = (ok: boolean) => {
      if (!ok) throw new HttpError(405, 'error_method');
    };
    switch (path) {
      case '/':
        only(read);
        k.redirect(x, '/account');
        return true;
      case '/login':
        only(read || method === 'POST');
        await (read ? showLogin(x) : doLogin(x));
        return true;
      case '/logout':
      case '/account/logout-all':
        only(method === 'POST');
        await logout(x, path !== '/logout');
        return true;
      case '/account':
        only(read);
        await inSession(x, null, (s) => account(x, s));
        return true;
      case '/account/pin':
      case '/account/recovery':
      case '/account/phone': {
        only(read || method === 'POST');
        const page = path === '/account/pin' ? pin : path === '/account/recovery' ? recovery : phone;
        await inSession(x, read ? null : await sessionForm(x), (s) => page(x, method, s));
        return true;
      }
      default:
        return false;
    }
  };
}
