// The FastAGI server: one call per connection Asterisk opens, up to a limit;
// on close() it stops accepting and gives the calls in flight time to finish.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { refuseBusy, serveCall, type ConnectionContext } from './connection.js';

export interface FastAgiServerOptions extends ConnectionContext {
  /** Calls served at once; more connections are answered with FAILURE (busy). */
  maxSessions: number;
}

export interface CloseResult {
  /** Connections still open at the deadline, cut off. */
  cut: number;
}

export class FastAgiServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private calls = 0;
  private closing = false;
  private drained: Promise<CloseResult> | null = null;
  private resolveDrained: ((result: CloseResult) => void) | null = null;
  private deadline: NodeJS.Timeout | undefined;

  constructor(private readonly opts: FastAgiServerOptions) {
    this.server = createServer(this.onConnection);
    // Refusing politely costs a little too: past this many open connections
    // the kernel's accept is answered by closing the socket at once.
    this.server.maxConnections = opts.maxSessions + Math.max(16, Math.ceil(opts.maxSessions / 4));
    this.server.on('error', (err) => opts.log(`server error: ${err.message}`));
  }

  /** Calls being served now (refusals not counted). */
  get activeCalls(): number {
    return this.calls;
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
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.closing && this.sockets.size === 0) this.finishClose();
    });
    if (this.calls >= this.opts.maxSessions) {
      refuseBusy(socket, this.opts, this.opts.maxSessions).catch((err: unknown) => this.internal(socket, err));
      return;
    }
    this.calls++;
    serveCall(socket, this.opts)
      .catch((err: unknown) => this.internal(socket, err))
      .finally(() => this.calls--);
  };

  /** A bug in one call's handling must not reach the others: that connection alone is dropped. */
  private internal(socket: Socket, err: unknown): void {
    this.opts.log(`internal error on one connection: ${err instanceof Error ? err.message : String(err)}`);
    socket.destroy();
  }
}
