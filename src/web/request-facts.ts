// Who sent a request and how, as the pages' rules need it: the client's
// address (throttling, audit), whether the browser's connection is HTTPS
// (Secure and __Host- cookies, HSTS), and the origin it reached. Forwarded
// headers are believed only from the proxies --trust-proxy names; from
// anyone else they are the client's own words and ignored.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface RequestFacts {
  client: string;
  https: boolean;
  /** scheme://host as the browser addressed this server, for the CSRF rule; null without a usable Host. */
  origin: string | null;
}

/** The last value of a header a proxy appends to ("a, b, c"): the one the nearest proxy wrote. */
function lastValue(v: string | string[] | undefined): string | undefined {
  const text = Array.isArray(v) ? v.join(',') : v;
  return text?.split(',').pop()?.trim() || undefined;
}

/** A peer address as Node reports it, IPv4-mapped IPv6 written as IPv4. */
function plainAddress(address: string | undefined): string {
  const a = address ?? '-';
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a;
}

export function requestFacts(req: IncomingMessage, trusted: ReadonlySet<string>): RequestFacts {
  const peer = plainAddress(req.socket.remoteAddress);
  const tls = (req.socket as TLSSocket).encrypted === true;
  let client = peer;
  let https = tls;
  if (trusted.has(peer)) {
    const forwarded = plainAddress(lastValue(req.headers['x-forwarded-for']));
    if (isIP(forwarded)) client = forwarded;
    const proto = lastValue(req.headers['x-forwarded-proto'])?.toLowerCase();
    if (proto === 'https' || proto === 'http') https = proto === 'https';
  }
  const host = req.headers.host;
  const origin = host && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? `${https ? 'https' : 'http'}://${host.toLowerCase()}` : null;
  return { client, https, origin };
}
