// The pages' cookies: HttpOnly, SameSite=Strict, and under HTTPS Secure with
// the __Host- prefix, which a browser accepts only from this very host over
// HTTPS with Path=/, so no neighbouring subdomain can plant one.
import type { IncomingMessage } from 'node:http';

/** session: an enrolment's; login: a logged-in user's; approver: a pbotp authority's approver's. */
export type CookieName = 'session' | 'login' | 'approver' | 'form' | 'lang';

function cookieName(name: CookieName, https: boolean): string {
  return `${https ? '__Host-' : ''}astotp-${name}`;
}

export function readCookie(req: IncomingMessage, name: CookieName, https: boolean): string | undefined {
  const wanted = cookieName(name, https);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === wanted) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie value; maxAge 0 deletes the cookie. Values are made here, of URL-safe characters only. */
export function setCookie(name: CookieName, value: string, https: boolean, maxAge: number): string {
  return `${cookieName(name, https)}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAge))}; HttpOnly; SameSite=Strict${https ? '; Secure' : ''}`;
}
