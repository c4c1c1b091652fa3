// The one rule every POST passes before anything else is done with it:
// 1. The browser says the form came from this site: Sec-Fetch-Site is
//    same-origin, or, from a browser that sends no Sec-Fetch-Site, Origin is
//    web_url's origin or the one the request was addressed to. (Under
//    Referrer-Policy no-referrer browsers send "Origin: null" with a form,
//    which alone proves nothing and is refused.)
// 2. The form carries the token of the cookie it belongs to: an HMAC of the
//    cookie's random value, which a page of another site can neither read
//    nor compute. A session's pages use the session cookie; the start page,
//    which has no session yet, a form cookie of its own.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function formToken(cookieValue: string): string {
  return createHmac('sha256', cookieValue).update('astotp-form-v1').digest('base64url');
}

export function sameOrigin(req: IncomingMessage, allowed: readonly (string | null)[]): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  return origin !== undefined && origin !== 'null' && allowed.includes(origin.toLowerCase());
}

export function tokenMatches(cookieValue: string | undefined, token: string | undefined): boolean {
  if (!cookieValue || !token) return false;
  const a = Buffer.from(formToken(cookieValue));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
