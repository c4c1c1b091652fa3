// The address of --listen, one grammar for every server the CLI starts
// (serve-agi, pbotp serve): PORT, HOST, HOST:PORT or [IPv6]:PORT. It lives
// here because only command lines are parsed with it; the servers themselves
// take a host and a port.
import { UsageError } from './errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** PORT alone listens on 127.0.0.1, HOST alone on the server's `defaultPort`. */
export function parseListen(text: string, defaultPort: number): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+))?(?::(\d{1,5}))?$/.exec(text.trim());
  const bare = /^\d{1,5}$/.test(text.trim());
  if (!m || text.trim() === '') throw new UsageError(`--listen "${text}" is not PORT, HOST:PORT or [IPv6]:PORT`);
  const host = bare ? '127.0.0.1' : (m[1] ?? m[2] ?? '127.0.0.1');
  const port = Number(bare ? text.trim() : (m[3] ?? defaultPort));
  if (port > 65535) throw new UsageError(`--listen: port ${port} is above 65535`);
  return { host, port };
}

/** host:port as people write it, brackets around IPv6. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
