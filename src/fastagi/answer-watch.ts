// The clock of a FastAGI connection: how long Asterisk takes to answer. It
// runs from a command written until its reply is complete, and only then: time
// the server spends itself (PIN hashes queued behind hundreds of others) never
// closes a call. Bytes that do not complete a reply never reset it, so a peer
// cannot hold its connection by trickling a reply one byte at a time.
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { ReplyParser } from '../agi/reply.js';

export interface AnswerLimits {
  /** How long one command may wait for its reply. */
  commandMs: number;
  /** How long all commands of the connection may wait, added up. */
  totalMs: number;
  /** Called once when either limit is reached; 'command' when it was the first. */
  onExpired(which: 'command' | 'total'): void;
}

/** Longer than any reply line Asterisk sends; the session refuses such a line anyway. */
const MAX_LINE = 65_536;

export class AnswerWatch {
  /** What the session writes commands to: the socket, with the clock started. */
  readonly output: Writable;
  private readonly parser = new ReplyParser();
  private limits: AnswerLimits | null = null;
  private spentMs = 0;
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private partial = '';

  constructor(socket: Socket) {
    this.output = new Writable({
      decodeStrings: false,
      write: (chunk: string | Buffer, _encoding, callback) => {
        this.arm();
        socket.write(chunk, (err) => callback(err ?? null));
      },
    });
    socket.on('data', this.onData);
    socket.on('close', () => {
      this.stop();
      this.output.destroy();
    });
  }

  /** Starts watching; call it once the agi_ header is read, before the first command. */
  start(limits: AnswerLimits): void {
    this.limits = limits;
  }

  private readonly onData = (chunk: Buffer): void => {
    // Header lines (before start) are the session's business.
    if (!this.limits) return;
    // Reply lines are ASCII where it matters: latin1 never splits a character across chunks.
    const lines = (this.partial + chunk.toString('latin1')).split('\n');
    this.partial = (lines.pop() as string).slice(-MAX_LINE);
    for (const line of lines) {
      // The same parser the session uses, fed the same lines: a line in the middle
      // of a 520 usage text or a HANGUP notice is not the answer being waited for.
      const event = this.parser.feed(line);
      if (event.kind === 'reply' || event.kind === 'garbage') this.stop();
    }
  };

  private arm(): void {
    const limits = this.limits;
    if (!limits || this.timer) return;
    this.since = Date.now();
    const leftMs = Math.max(0, limits.totalMs - this.spentMs);
    const which = limits.commandMs < leftMs ? 'command' : 'total';
    this.timer = setTimeout(() => {
      this.limits = null;
      limits.onExpired(which);
    }, Math.min(limits.commandMs, leftMs));
  }

  private stop(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.spentMs += Date.now() - this.since;
  }
}
