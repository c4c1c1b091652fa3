// Classic AGI: Asterisk runs us with the call on stdin/stdout. It announces a
// hangup with SIGHUP (which would kill Node by default) and may close the pipes
// at any time (EPIPE, which would crash Node without an 'error' listener).
import { Writable } from 'node:stream';
import { AgiChannel } from './agi-channel.js';
import { AgiSession } from './session.js';

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
  const { stdin, stdout, stderr } = process;
  const ignore = (): void => {};
  stdout.on('error', ignore);
  stderr.on('error', ignore);

  const session = new AgiSession(stdin, commandStream(), {
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
 * Gives the session the only path to stdout and sends every other stdout
 * write (console.log, a library's chatter) to stderr: on stdout it would be
 * read by Asterisk as a command.
 */
function commandStream(): Writable {
  const { stdout, stderr } = process;
  const write = stdout.write.bind(stdout);
  stdout.write = ((...args: Parameters<typeof stderr.write>) => stderr.write(...args)) as typeof stdout.write;
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      write(chunk, (error) => callback(error ?? null));
    },
  });
}
