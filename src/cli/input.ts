// Standard input for the commands that ask questions. On a terminal the
// questions are interactive (hidden for PINs); from a pipe each answer is the
// next line, so scripts can feed a PIN, then a code, then more.
import { StringDecoder } from 'node:string_decoder';
import { CliFailure, Interrupted } from './errors.js';

const MAX_LINE = 4096;

export class Input {
  private buf = '';
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly stream: NodeJS.ReadStream = process.stdin) {}

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** The next line without its newline; null at end of input, or once `timeoutMs` (0: none) have passed. */
  async line(timeoutMs = 0): Promise<string | null> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : undefined;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return line.replace(/\r$/, '');
      }
      if (this.buf.length > MAX_LINE) throw new CliFailure(`an input line is longer than ${MAX_LINE} characters`);
      if (this.ended) {
        const rest = this.buf;
        this.buf = '';
        return rest === '' ? null : rest;
      }
      if (!(await this.more(deadline))) return null;
    }
  }

  /** All of the remaining input; more than `limit` characters is refused. */
  async rest(limit: number): Promise<string> {
    for (;;) {
      if (this.buf.length > limit) throw new CliFailure(`input longer than ${limit} bytes`);
      if (this.ended) break;
      await this.more();
    }
    const all = this.buf;
    this.buf = '';
    return all;
  }

  /** Asks on the terminal without echoing what is typed; null on Ctrl-D. Ctrl-C ends the command as SIGINT does. */
  async hidden(question: string, out: NodeJS.WritableStream): Promise<string | null> {
    // Raw mode first: what is typed once the question shows must not echo.
    this.stream.setRawMode(true);
    out.write(question);
    let typed = '';
    try {
      for (;;) {
        if (this.buf === '') {
          if (this.ended) return null;
          await this.more();
          continue;
        }
        const ch = this.buf[0]!;
        this.buf = this.buf.slice(1);
        if (ch === '\r' || ch === '\n') return typed;
        if (ch === '\x03') throw new Interrupted();
        if (ch === '\x04' && typed === '') return null;
        if (ch === '\x7f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch === '\x15') typed = '';
        else if (ch >= ' ' && typed.length < MAX_LINE) typed += ch;
      }
    } finally {
      this.stream.setRawMode(false);
      out.write('\n');
    }
  }

  /**
   * Lets go of the input once the command is done. A stream that has delivered
   * data keeps reading in the background even when paused, so without this a
   * command would wait for its input to close before the process could exit.
   */
  close(): void {
    this.stream.destroy();
  }

  /**
   * Reads one more chunk, then pauses the stream again so it never keeps the
   * process alive. false: the deadline (ms since the epoch) passed first.
   */
  private more(deadline?: number): Promise<boolean> {
    if (this.stream.readableEnded) {
      this.ended = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (inTime: boolean) => {
        clearTimeout(timer);
        this.stream.off('data', onData);
        this.stream.off('end', onEnd);
        this.stream.off('error', onEnd);
        this.stream.pause();
        resolve(inTime);
      };
      const onData = (chunk: Buffer | string) => {
        this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
        done(true);
      };
      const onEnd = () => {
        this.buf += this.decoder.end();
        this.ended = true;
        done(true);
      };
      const timer = deadline === undefined ? undefined : setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      this.stream.on('data', onData);
      this.stream.once('end', onEnd);
      this.stream.once('error', onEnd);
      this.stream.resume();
    });
  }
}
