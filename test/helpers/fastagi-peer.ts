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
