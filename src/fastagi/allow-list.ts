// Which client addresses may become calls: `serve-agi --allow`. Only a PBX
// should reach a FastAGI server, and every other connection is refused the
// moment it is accepted, before it holds anything but its socket.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface AllowList {
  /** True for an address the list names (IPv4-mapped IPv6 addresses count as their IPv4 address). */
  allows(address: string | undefined): boolean;
  /** The list as given, for the start line. */
  readonly shown: string;
}

/** Loopback: Asterisk on this machine. */
export const DEFAULT_ALLOW = '127.0.0.0/8,::1';

export class AllowListError extends Error {
  override name = 'AllowListError';
}

/** Parses `ADDR[/BITS],…`; throws AllowListError naming the entry that is wrong. */
export function parseAllowList(text: string): AllowList {
  const list = new BlockList();
  const entries = text.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) throw new AllowListError(`--allow ${JSON.stringify(text)} has an empty entry`);
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
    if (family === null) throw new AllowListError(`--allow: ${JSON.stringify(entry)} is not an IPv4 or IPv6 address`);
    const most = family === 'ipv4' ? 32 : 128;
    const bitsText = slash < 0 ? String(most) : entry.slice(slash + 1);
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
    if (!(bits >= 0 && bits <= most)) throw new AllowListError(`--allow: ${JSON.stringify(entry)} needs a prefix length of 0 to ${most}`);
    list.addSubnet(address, bits, family);
  }
  return {
    shown: entries.join(','),
    allows(address) {
      if (address === undefined) return false;
      const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
      return family !== null && list.check(address, family);
    },
  };
}
