// Standard input for the commands that ask questions. On a terminal the
// questions are interactive (hidden for PINs); from a pipe each answer is the
// next line, so scripts can feed a PIN, then a code, then more.
import { StringDecoder } from 'node:string_decoder';
import { CliFailure } from './errors.js';

const MAX_LINE = 4096;

export class Input {
  private buf = '';
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly stream: NodeJS.ReadStream = process.stdin) {}

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** The next line without its newline; null at end of input. */
  async line(): Promise<string | null> {
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
      await this.more();
    }
  }

  /** Asks on the terminal without echoing what is typed; null on Ctrl-D. Ctrl-C cancels the command. */
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
        if (ch === '\x03') throw new CliFailure('cancelled');
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

  /** Reads one more chunk, then pauses the stream again so it never keeps the process alive. */
  private more(): Promise<void> {
    if (this.stream.readableEnded) {
      this.ended = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('data', onData);
        this.stream.off('end', onEnd);
        this.stream.off('error', onEnd);
        this.stream.pause();
        resolve();
      };
      const onData = (chunk: Buffer | string) => {
        this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
        done();
      };
      const onEnd = () => {
        this.buf += this.decoder.end();
        this.ended = true;
        done();
      };
      this.stream.on('data', onData);
      this.stream.once('end', onEnd);
      this.stream.once('error', onEnd);
      this.stream.resume();
    });
  }
}
