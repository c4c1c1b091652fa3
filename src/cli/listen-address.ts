// The address of --listen, one grammar for every server the CLI starts
// (serve-agi, pbotp serve): PORT, HOST:PORT or [IPv6]:PORT. It lives here
// because only command lines are parsed with it; the servers themselves take
// a host and a port.
import { UsageError } from './errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** PORT alone listens on 127.0.0.1. A HOST without a port is refused: a typo for one must not pick a port. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):)?(\d{1,5})$/.exec(text.trim());
  if (!m) throw new UsageError(`--listen "${text}" is not PORT, HOST:PORT or [IPv6]:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--listen: port ${port} is above 65535`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** host:port as people write it, brackets around IPv6. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
