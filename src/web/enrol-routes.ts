// The enrolment's routes: a link's start page (GET writes nothing), the
// trade of the link for a session (POST), the set-up page and its form. The
// rules of enrolling are auth/self-enrolment.ts's; this file speaks HTTP.
import { ACTOR_SOURCE, type Actor } from '../auth/admin-audit.js';
import { type EndedStatus, type PendingEnrolment, SelfEnrolment } from '../auth/self-enrolment.js';
import { otpauthUri } from '../auth/totp.js';
import { type UserAdmin, UserAdminError } from '../auth/user-admin.js';
import { readCookie, setCookie } from './cookies.js';
import { formToken, tokenMatches } from './csrf.js';
import { type Exchange, HttpError, type Kit, type Routes } from './exchange.js';
import type { PageFrame } from './layout.js';
import { donePage, setupPage, startPage } from './pages.js';

const ENROL_COOKIE_SECONDS = 30 * 60;

export function enrolRoutes(k: Kit, admin: UserAdmin): Routes {
  const { d, base } = k;
  const enrolment = new SelfEnrolment(d.auth, d.settings, admin);

  const ended = (x: Exchange, f: PageFrame, status: EndedStatus | 'unknown' | 'session'): void => {
    const line = f.t[`ended_${status}`];
    k.message(x, status === 'unknown' ? 404 : 410, f, 'ended_title', line, f.t.ask_new);
  };

  const actor = (x: Exchange): Actor => ({ source: ACTOR_SOURCE.web, who: `invitation link from ${x.facts.client}` });

  async function start(x: Exchange, token: string): Promise<void> {
    const state = await enrolment.lookup(token, x.facts.client);
    const f = k.frame(x, state.kind === 'pending' ? state.invitation.profile.language : null, true);
    if (state.kind === 'throttled') return k.throttled(x, f, state.until, 'throttled');
    if (state.kind === 'unknown') return ended(x, f, 'unknown');
    if (state.kind === 'ended') return ended(x, f, state.status);
    const inv = state.invitation;
    k.send(
      x,
      200,
      startPage(f, {
        user: inv.user,
        name: inv.profile.display_name,
        expiresAt: inv.expiresAt,
        needsActivationCode: inv.needsActivationCode,
        askPin: d.settings.askPin,
        action: `${base}/enrol/${token}`,
        csrf: k.pageFormToken(x),
      }),
    );
  }

  async function trade(x: Exchange, token: string): Promise<void> {
    const form = await k.readForm(x);
    k.checkPageForm(x, form);
    const outcome = await enrolment.trade(actor(x), token, form.get('activation') ?? '', x.facts.client);
    if (outcome.kind === 'started') {
      x.cookies.push(setCookie('session', outcome.session, x.facts.https, ENROL_COOKIE_SECONDS));
      return k.redirect(x, '/enrol');
    }
    if (outcome.kind === 'wrong-code') {
      const state = await enrolment.lookup(token, x.facts.client);
      if (state.kind !== 'pending') return start(x, token);
      const f = k.frame(x, state.invitation.profile.language, false);
      const inv = state.invitation;
      return k.send(
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
    const f = k.frame(x, null, false);
    if (outcome.kind === 'throttled') return k.throttled(x, f, outcome.until, 'throttled');
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
    if (!e) return ended(x, k.frame(x, null, true), 'session');
    k.send(x, 200, setupPage(k.frame(x, e.profile.language, true), setupFacts(e, session!)));
  }

  async function finish(x: Exchange): Promise<void> {
    const form = await k.readForm(x);
    const session = readCookie(x.req, 'session', x.facts.https);
    if (!tokenMatches(session, form.get('csrf') ?? undefined)) throw new HttpError(403, 'error_forbidden');
    const e = await enrolment.pending(session!);
    if (!e) return ended(x, k.frame(x, null, false), 'session');
    const f = k.frame(x, e.profile.language, false);
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
    if (outcome.kind === 'invalid') return k.send(x, 400, setupPage(f, { ...setupFacts(e, session!), problems: outcome.problems }));
    x.cookies.push(setCookie('session', '', x.facts.https, 0));
    k.send(x, 200, donePage(f, { user: e.user, codes: outcome.recoveryCodes, extension: d.web.testExtension, askPin: e.askPin }));
  }

  return async (x, path, method) => {
    const read = method === 'GET' || method === 'HEAD';
    if (path === '/enrol') {
      if (read) await setup(x);
      else if (method === 'POST') await finish(x);
      else throw new HttpError(405, 'error_method');
      return true;
    }
    if (!/^\/enrol\/[^/]+$/.test(path)) return false;
    let token: string;
    try {
      token = decodeURIComponent(path.slice('/enrol/'.length));
    } catch {
      throw new HttpError(400, 'error_bad_request');
    }
    if (read) await start(x, token);
    else if (method === 'POST') await trade(x, token);
    else throw new HttpError(405, 'error_method');
    return true;
  };
}
