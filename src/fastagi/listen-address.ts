// The address of --listen: PORT, HOST:PORT or [IPv6]:PORT (Asterisk's
// default FastAGI port when none is given).
export const FASTAGI_PORT = 4573;

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+))?(?::(\d{1,5}))?$/.exec(text.trim());
  const bare = /^\d{1,5}$/.test(text.trim());
  if (!m || text.trim() === '') throw new Error(`--listen "${text}" is not PORT, HOST:PORT or [IPv6]:PORT`);
  const host = bare ? '127.0.0.1' : (m[1] ?? m[2] ?? '127.0.0.1');
  const port = Number(bare ? text.trim() : (m[3] ?? FASTAGI_PORT));
  if (port > 65535) throw new Error(`--listen: port ${port} is above 65535`);
  return { host, port };
}

/** host:port as people write it, brackets around IPv6. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
