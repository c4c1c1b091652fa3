// The scripted Asterisk of asterisk-peer.ts over FastAGI: it connects to a
// running `astotp serve-agi` as res_agi does for AGI(agi://host/script,args)
// and answers the same way. Only the transport differs: a hangup is the
// HANGUP line instead of SIGHUP, and the end of the call is the socket closing.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { runCall, type CallResult, type PeerLink, type RunCallOptions } from './asterisk-peer.js';

export interface FastAgiCallOptions extends Omit<RunCallOptions, 'connect' | 'command' | 'commandArgs' | 'env' | 'cwd' | 'uid' | 'gid'> {
  port: number;
  host?: string;
  /** What follows agi://host:port/, query included (default 'otp'); null: a URL without a path. */
  script?: string | null;
  /** How `{ hangup: 'eof' }` ends the connection: 'end' closes our side (FIN), 'drop' destroys the socket. */
  eof?: 'end' | 'drop';
}

/** One call to a FastAGI server; resolves when the server has closed the connection. */
export function fastAgiCall(options: FastAgiCallOptions): Promise<CallResult> {
  const host = options.host ?? '127.0.0.1';
  const script = options.script === undefined ? 'otp' : options.script;
  const agi: Record<string, string> = {
    agi_network: 'yes',
    ...(script === null ? {} : { agi_network_script: script }),
    agi_request: `agi://${host}:${options.port}${script === null ? '' : `/${script}`}`,
    ...options.agi,
  };
  const eof = options.eof ?? 'end';
  return runCall({ ...options, agi, connect: () => new SocketLink(connect(options.port, host), eof) });
}

/** A TCP connection dressed as the child process runCall expects. */
class SocketLink extends EventEmitter implements PeerLink {
  readonly stdout: Socket;
  readonly stdin: Writable;
  readonly stderr = new PassThrough();

  constructor(
    private readonly socket: Socket,
    eof: 'end' | 'drop',
  ) {
    super();
    this.stdout = socket;
    socket.setNoDelay(true);
    this.stdin = new Writable({
      // A server gone away is its business; the call's record shows it.
      write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, () => callback()),
      final: (callback) => {
        if (eof === 'drop') socket.destroy();
        else socket.end();
        callback();
      },
    });
    let connected = false;
    socket.on('connect', () => (connected = true));
    socket.on('error', (error) => {
      if (!connected) this.emit('error', error);
    });
    socket.on('close', () => {
      this.stderr.end();
      this.emit('exit', null, null);
      this.emit('close', null, null);
    });
  }

  kill(signal: 'SIGHUP' | 'SIGKILL'): boolean {
    if (signal === 'SIGKILL') this.socket.destroy();
    else if (this.socket.writable) this.socket.write('HANGUP\n');
    return true;
  }
}

/**
 * A bare TCP connection to the server, for what Asterisk never does: stay
 * silent, or trickle a reply byte by byte. It only records what it receives.
 */
export class RawPeer {
  /** Everything the server sent, as text. */
  received = '';
  readonly closed: Promise<void>;
  private isClosed = false;
  private waiter: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.received += text;
      this.waiter?.();
    });
    // A reset is one way for the server to close; the test looks at `closed`, not at how.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => ((this.isClosed = true), this.waiter?.(), resolve())));
  }

  /** Resolves once connected; localAddress picks the client address (127.0.0.2 is another peer). */
  static open(port: number, localAddress?: string): Promise<RawPeer> {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPeer(socket));
      });
    });
  }

  get open(): boolean {
    return !this.isClosed;
  }

  /**
   * A short agi_ header as for AGI(agi://127.0.0.1/otp); `padBytes` adds variables of 1000 bytes each until that many are added.
   * `then` follows the header's empty line in the same write; `script` is the path after agi://HOST/.
   */
  sendHeader(padBytes = 0, then = '', script = 'otp'): void {
    const lines = [
      'agi_network: yes',
      `agi_network_script: ${script}`,
      `agi_request: agi://127.0.0.1/${script}`,
      'agi_channel: PJSIP/1001-00000009',
      'agi_uniqueid: 1700000000.9',
    ];
    for (let i = 0; i * 1000 < padBytes; i++) lines.push(`agi_pad_${i}: ${'x'.repeat(1000)}`);
    this.socket.write(`${lines.join('\n')}\n\n${then}`);
  }

  /** Resolves once `count` lines have come from the server; rejects if it closes first. */
  async lines(count: number): Promise<string[]> {
    for (;;) {
      const lines = this.received.split('\n').slice(0, -1);
      if (lines.length >= count) return lines;
      if (this.isClosed) throw new Error(`the server closed the connection after ${lines.length} lines`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Writes `text` one byte every `everyMs` until the connection closes (or the text runs out). */
  async trickle(text: string, everyMs: number): Promise<void> {
    for (const byte of text) {
      if (this.isClosed) return;
      this.socket.write(byte);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
