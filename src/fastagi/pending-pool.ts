// The connections that hold no call slot: waiting for their agi_ header,
// being told busy, or closing. Anyone who can connect can open them, so they
// are bounded per client address and in all, and when a bound is reached the
// oldest one makes room. Refusing the newest instead would let a flood of idle
// sockets from 127.0.0.1 (Asterisk's own address) keep the pool full and shut
// out every real call; evicting the oldest costs a real call nothing, because
// Asterisk sends its header the moment it connects, long before a flood can
// push it out.
import type { Socket } from 'node:net';

export class PendingPool {
  /** Oldest first, with the address each came from (a destroyed socket forgets it). */
  private readonly all = new Map<Socket, string>();
  private readonly byAddress = new Map<string, Set<Socket>>();

  constructor(
    readonly perAddress: number,
    readonly overall: number,
  ) {}

  /** Adds a connection; returns the one it pushes out, which the caller closes. */
  add(socket: Socket): Socket | null {
    const address = socket.remoteAddress ?? '?';
    let evicted: Socket | null = null;
    if ((this.byAddress.get(address)?.size ?? 0) >= this.perAddress) evicted = oldest(this.byAddress.get(address)!);
    else if (this.all.size >= this.overall) evicted = oldest(this.all.keys());
    // Evicted first: emptying an address's set drops it from byAddress.
    if (evicted) this.delete(evicted);
    const own = this.byAddress.get(address) ?? new Set<Socket>();
    this.byAddress.set(address, own);
    own.add(socket);
    this.all.set(socket, address);
    return evicted;
  }

  delete(socket: Socket): void {
    const address = this.all.get(socket);
    if (address === undefined) return;
    this.all.delete(socket);
    const own = this.byAddress.get(address);
    own?.delete(socket);
    if (own?.size === 0) this.byAddress.delete(address);
  }
}

function oldest(sockets: Iterable<Socket>): Socket | null {
  for (const socket of sockets) return socket;
  return null;
}
