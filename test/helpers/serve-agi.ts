// `astotp serve-agi` from the built bundle, on a free port of 127.0.0.1, with
// a site's database and config; its log (stderr) is kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { BUNDLE_PATH } from './asterisk-peer.js';

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class AgiServer {
  log = '';
  readonly exited: Promise<ServerExit>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Starts the server and resolves once it says where it listens. */
  static start(env: Record<string, string>, args: string[] = [], bundle = BUNDLE_PATH): Promise<AgiServer> {
    const child = spawn(process.execPath, [bundle, 'serve-agi', '--listen', '127.0.0.1:0', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('did not start within 10 s')), 10_000);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`serve-agi: ${err.message}\nstderr: ${log}\nstdout: ${out}`));
      };
      const onData = (chunk: string): void => {
        log += chunk;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
        if (!m) return;
        clearTimeout(timer);
        child.stderr.off('data', onData);
        child.off('close', onClose);
        const server = new AgiServer(child, Number(m[1]));
        server.log = log;
        child.stderr.on('data', (c: string) => (server.log += c));
        resolve(server);
      };
      const onClose = (code: number | null): void => fail(new Error(`exited with ${code} before listening`));
      child.stderr.on('data', onData);
      child.once('close', onClose);
    });
  }

  /** Sends a signal and waits for the exit; SIGKILL after timeoutMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ServerExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
