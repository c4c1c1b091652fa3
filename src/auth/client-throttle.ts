// Failed lookups of invitation links (and, counted apart, failed web logins),
// counted per client address in the throttle table that pbotp logins use, so
// that every web server on the database counts them together. A token has 256 bits, so guessing one is
// hopeless anyway; the count stops a client from trying for long, and from
// guessing an activation code on many links. An address is stored only as a
// keyed hash, and an IPv6 client as its /64, which one subscriber holds whole.
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import { Lockout, type LockRules } from './lockout.js';

/** Failed lookups from one address before it is refused for CLIENT_LOCK.lockoutMinutes. */
export const CLIENT_LOCK: LockRules = { lockoutFailures: 10, lockoutMinutes: 15 };

/** The part of an address one client holds: an IPv4 address, an IPv6 /64. */
function clientNetwork(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4 !== undefined || isIPv4(address)) return v4 ?? address;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class ClientThrottle {
  constructor(
    private readonly auth: { store: Store; key: { idMask: Buffer }; now: Clock },
    private readonly rules: LockRules = CLIENT_LOCK,
    /** What is counted: failed link lookups (web-client), failed logins (web-login); each has its own counter. */
    private readonly scope = 'web-client',
  ) {}

  private id(address: string): string {
    return `${this.scope}:${createHmac('sha256', this.auth.key.idMask)
      .update(`${this.scope}\0${clientNetwork(address)}`)
      .digest('hex')
      .slice(0, 32)}`;
  }

  /** The end of the address's running lock, else null. */
  lockedUntil(address: string): Promise<number | null> {
    return this.auth.store.read((t) => new Lockout(t.throttle, this.rules).lockedUntil(this.id(address), this.auth.now()));
  }

  /** Counts a failed lookup; returns the lock's end when this one started it. */
  failure(address: string): Promise<number | null> {
    return this.auth.store.exclusive(
      async (t) => (await new Lockout(t.throttle, this.rules).failure(this.id(address), this.auth.now())).lock?.until ?? null,
    );
  }
}
