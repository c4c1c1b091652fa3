// The FastAGI server: one call per connection Asterisk opens, up to a limit;
// on close() it stops accepting and gives the calls in flight time to finish.
// A connection takes a call slot only once its agi_ header is complete: anyone
// can open sockets and say nothing, and those must not make real calls busy.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { AllowList } from './allow-list.js';
import { openConnection, refuseBusy, serveConnection, type ConnectionContext } from './connection.js';
import { LogTally, type Tally } from './log-tally.js';
import { PendingPool } from './pending-pool.js';
import { errorMessage } from '../text/error-message.js';

export interface FastAgiServerOptions extends ConnectionContext {
  /** Calls served at once; more connections are answered with FAILURE (busy). */
  maxSessions: number;
  /** Connections per client address that hold no call slot; the pool of all addresses is PENDING_ADDRESSES times this. */
  maxPending: number;
  /** Addresses that may become calls; every other connection is closed at once. */
  allow: AllowList;
}

/** How many addresses' worth of pending connections the server keeps in all. */
export const PENDING_ADDRESSES = 4;
/** Connections closed unserved are counted and logged at most this often: a flood must not flood the log too. */
const TALLY_LOG_MS = 1_000;

export interface CloseResult {
  /** Connections still open at the deadline, cut off. */
  cut: number;
}

export class FastAgiServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pending: PendingPool;
  /** Pushed out of the pool: counted in one log line, not one line each. */
  private readonly evicted = new WeakSet<Socket>();
  private readonly evictions: LogTally;
  /** Closed before their header was complete, by reason. */
  private readonly noRequests: LogTally;
  private lastNoRequestPeer = '';
  /** Closed for not being a PBX: an address --allow does not name, or a request without the secret. */
  private readonly refusals: LogTally;
  private lastRefusedPeer = '';
  private calls = 0;
  private served = 0;
  private closing = false;
  private drained: Promise<CloseResult> | null = null;
  private resolveDrained: ((result: CloseResult) => void) | null = null;
  private deadline: NodeJS.Timeout | undefined;

  constructor(private readonly opts: FastAgiServerOptions) {
    this.server = createServer(this.onConnection);
    this.pending = new PendingPool(opts.maxPending, opts.maxPending * PENDING_ADDRESSES);
    // Calls and the pool bound the open connections; this backstop only covers
    // sockets already closed whose close event has not come yet.
    this.server.maxConnections = opts.maxSessions + this.pending.overall + Math.max(16, Math.ceil(this.pending.overall / 4));
    this.server.on('error', (err) => opts.log(`server error: ${err.message}`));
    this.evictions = new LogTally(TALLY_LOG_MS, (t) => this.logEvictions(t));
    this.noRequests = new LogTally(TALLY_LOG_MS, (t) => this.logNoRequests(t));
    this.refusals = new LogTally(TALLY_LOG_MS, (t) => this.logRefusals(t));
  }

  /** Calls being served now (refusals not counted). */
  get activeCalls(): number {
    return this.calls;
  }

  /** Calls served since start (refusals not counted): the shutdown line puts the store's retries in proportion. */
  get servedCalls(): number {
    return this.served;
  }

  /** Resolves with the bound address; rejects if the address cannot be bound (EADDRINUSE...). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void => reject(err);
      this.server.once('error', failed);
      this.server.listen({ host, port }, () => {
        this.server.off('error', failed);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting; waits up to deadlineMs for open connections to end, then
   * cuts the rest. Called again (a second signal), it moves the deadline.
   */
  close(deadlineMs: number): Promise<CloseResult> {
    this.closing = true;
    this.server.close();
    this.drained ??= new Promise<CloseResult>((resolve) => (this.resolveDrained = resolve));
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.finishClose(), deadlineMs);
    if (this.sockets.size === 0) this.finishClose();
    return this.drained;
  }

  private finishClose(): void {
    clearTimeout(this.deadline);
    this.evictions.flush();
    this.noRequests.flush();
    this.refusals.flush();
    const resolve = this.resolveDrained;
    if (!resolve) return;
    this.resolveDrained = null;
    const cut = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    resolve({ cut });
  }

  private readonly onConnection = (socket: Socket): void => {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (!this.opts.allow.allows(socket.remoteAddress)) {
      this.refuse(socket, 'address not in --allow');
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.pending.delete(socket);
      if (this.closing && this.sockets.size === 0) this.finishClose();
    });
    this.wait(socket);
    this.handle(socket).catch((err: unknown) => this.internal(socket, err));
  };

  private async handle(socket: Socket): Promise<void> {
    const c = await openConnection(socket, this.opts);
    if ('why' in c) {
      if (this.evicted.has(socket)) return;
      this.lastNoRequestPeer = c.peer;
      this.noRequests.add(c.why);
      return;
    }
    // Before a slot: only a request that shows it comes from the dialplan may hold one.
    if (this.opts.secret && !this.opts.secret.admits(c.request.secret)) {
      c.session.close();
      this.refuse(socket, c.request.secret === null ? 'no FastAGI secret in the request' : 'wrong FastAGI secret');
      return;
    }
    // A refusal stays in the pool: it holds no call slot, and under a flood it may be pushed out like the rest.
    if (this.calls >= this.opts.maxSessions) return refuseBusy(c, this.opts, this.opts.maxSessions);
    this.pending.delete(socket);
    this.calls++;
    this.served++;
    try {
      await serveConnection(c, this.opts);
    } finally {
      this.calls--;
      // Closing (our FIN sent, Asterisk's awaited) is back in the pool.
      this.wait(socket);
    }
  }

  /** Not a PBX: closed without a word, counted in one line a second. */
  private refuse(socket: Socket, why: string): void {
    this.lastRefusedPeer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.refusals.add(why);
    socket.destroy();
  }

  private wait(socket: Socket): void {
    if (socket.destroyed) return;
    const evicted = this.pending.add(socket);
    if (!evicted) return;
    this.evicted.add(evicted);
    evicted.destroy();
    this.evictions.add();
  }

  private logEvictions({ total }: Tally): void {
    const { perAddress, overall } = this.pending;
    this.opts.log(
      `closed ${total} connection${total === 1 ? '' : 's'} that held no call (no AGI request yet, refused or closing), oldest first, ` +
        `to make room for new ones (at most ${perAddress} per address, ${overall} in all: serve-agi --max-pending)`,
    );
  }

  private logNoRequests({ total, reasons, other }: Tally): void {
    if (total === 1) {
      this.opts.log(`connection from ${this.lastNoRequestPeer}: no AGI request (${reasons[0]?.[0] ?? '?'})`);
      return;
    }
    const counts = reasons.map(([why, n]) => `${n} × ${why}`);
    if (other > 0) counts.push(`${other} × other reasons`);
    this.opts.log(`closed ${total} connections that sent no AGI request (the last from ${this.lastNoRequestPeer}): ${counts.join('; ')}`);
  }

  private logRefusals({ total, reasons, other }: Tally): void {
    const counts = reasons.map(([why, n]) => `${n} × ${why}`);
    if (other > 0) counts.push(`${other} × other reasons`);
    const what = total === 1 ? 'connection' : `${total} connections`;
    this.opts.log(`refused ${what} that did not come from a PBX (the last from ${this.lastRefusedPeer}): ${counts.join('; ')}`);
  }

  /** A bug in one call's handling must not reach the others: that connection alone is dropped. */
  private internal(socket: Socket, err: unknown): void {
    this.opts.log(`internal error on one connection: ${errorMessage(err)}`);
    socket.destroy();
  }
}
