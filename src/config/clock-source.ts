// clock_source in astotp.conf: a server doctor compares this PBX's clock
// with, for sites where timedatectl and chronyc cannot say it is kept right.

export type ClockSource = { kind: 'ntp'; host: string; port: number; text: string } | { kind: 'http'; url: string; text: string };

const NTP_PORT = 123;

/** ntp://HOST[:PORT] (SNTP over UDP), or an http(s):// URL whose Date header is read. */
export function parseClockSource(v: string): ClockSource {
  let url: URL;
  try {
    url = new URL(v.trim());
  } catch {
    throw new Error('expected ntp://HOST[:PORT] or an http:// or https:// URL');
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    // The address is printed by doctor: credentials have no place in it.
    if (url.username || url.password) throw new Error('expected a URL without user name or password');
    return { kind: 'http', url: url.href, text: url.href };
  }
  if (url.protocol !== 'ntp:' || !url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.search || url.username) {
    throw new Error('expected ntp://HOST[:PORT] or an http:// or https:// URL');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : NTP_PORT;
  if (port === 0) throw new Error('expected a port from 1 to 65535');
  return { kind: 'ntp', host, port, text: `ntp://${url.host}` };
}
