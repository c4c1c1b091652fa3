// Classic AGI: Asterisk runs us with the call on stdin/stdout. It announces a
// hangup with SIGHUP (which would kill Node by default) and may close the pipes
// at any time (EPIPE, which would crash Node without an 'error' listener).
// Every call is a new process, so what it sets up counts: commands go to fd 1
// with write(2) (Node makes a pipe's stdout blocking anyway), and stderr is
// opened only when something is written there.
import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';
import { AgiChannel } from './agi-channel.js';
import { type AgiOutput, AgiSession } from './session.js';

export interface ClassicAgiOptions {
  /** How long to wait for Asterisk's environment header. Default 5000. */
  headerDeadlineMs?: number;
  /** Deadline for variables and log lines sent after a hangup. Default 300. */
  afterHangupDeadlineMs?: number;
}

let started = false;

/** Takes over stdin/stdout for the AGI conversation and resolves once the header is read. */
export async function startClassicAgi(options: ClassicAgiOptions = {}): Promise<AgiChannel> {
  if (started) throw new Error('classic AGI already started');
  started = true;
  keepOffStdout();
  const { stdin } = process;
  const session = new AgiSession(stdin, new CommandOutput(), {
    afterHangupDeadlineMs: options.afterHangupDeadlineMs ?? 300,
  });
  process.on('SIGHUP', () => session.markHungUp('SIGHUP'));

  try {
    const info = await session.readEnvironment({ deadlineMs: options.headerDeadlineMs ?? 5000 });
    return new AgiChannel(session, info, { onClose: () => stdin.destroy() });
  } catch (error) {
    session.close();
    stdin.destroy();
    throw error;
  }
}

/**
 * Leaves fd 1 to the session alone: every other stdout write (console.log, a
 * library's chatter) goes to stderr, where Asterisk would not read it as a
 * command. stderr may be a pipe Asterisk closes: its errors are dropped.
 */
function keepOffStdout(): void {
  const stderr = Object.getOwnPropertyDescriptor(process, 'stderr')?.get;
  if (!stderr) throw new Error('classic AGI: process.stderr is not the stream Node defines');
  let quiet: NodeJS.WriteStream | undefined;
  const errOut = (): NodeJS.WriteStream => {
    if (!quiet) {
      quiet = stderr.call(process) as NodeJS.WriteStream;
      quiet.on('error', () => {});
    }
    return quiet;
  };
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: errOut });
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: errOut });
}

/** fd 1 for the session: one write(2) per command; a broken pipe ends the output as a stream's error would. */
class CommandOutput extends EventEmitter implements AgiOutput {
  destroyed = false;
  readonly writableEnded = false;

  write(text: string): boolean {
    if (this.destroyed) return false;
    try {
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.length; ) done += writeAll(bytes, done);
      return true;
    } catch {
      this.destroyed = true;
      // After the write returns, as a stream reports it.
      process.nextTick(() => this.emit('close'));
      return false;
    }
  }
}

/** Writes from `offset`; a stdout some parent left non-blocking is waited for, up to a second. */
function writeAll(bytes: Buffer, offset: number): number {
  for (let waited = 0; ; waited++) {
    try {
      return writeSync(1, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || waited >= 1000) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
