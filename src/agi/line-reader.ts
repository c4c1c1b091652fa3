// Cuts what Asterisk sends into lines and decodes each one strictly. A NUL
// or bytes that are not UTF-8 mean we are not reading Asterisk's text
// (decoding leniently would turn them into U+FFFD and accept the line).
import { AgiProtocolError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class LineReader {
  /**
   * Pieces of the line not yet ended, kept as they came: a peer sending one
   * byte at a time must not make each chunk copy and search the whole line
   * again (quadratic, while every other call waits).
   */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLine: number) {}

  /**
   * The complete lines in `chunk` (and before it), without their `\n`.
   * Lazy, so the lines before a bad one are handled before it throws.
   */
  *lines(chunk: Buffer): Generator<string> {
    if (!chunk.includes(0x0a)) {
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > this.maxLine) throw new AgiProtocolError('line from Asterisk too long');
      this.pending.push(Buffer.from(chunk));
      return;
    }
    const data = this.pending.length ? Buffer.concat([...this.pending, chunk]) : chunk;
    this.pending = [];
    this.pendingBytes = 0;
    let start = 0;
    let newline: number;
    while ((newline = data.indexOf(0x0a, start)) >= 0) {
      const bytes = data.subarray(start, newline);
      start = newline + 1;
      // The line itself stays out of the message: it may carry digits the caller typed.
      if (bytes.includes(0)) throw new AgiProtocolError('line from Asterisk contains a NUL byte');
      let line: string;
      try {
        line = utf8.decode(bytes);
      } catch {
        throw new AgiProtocolError('line from Asterisk is not valid UTF-8');
      }
      yield line;
    }
    if (data.length - start > this.maxLine) throw new AgiProtocolError('line from Asterisk too long');
    if (start < data.length) {
      // A copy: the chunk's buffer may be reused by the stream.
      this.pending.push(Buffer.from(data.subarray(start)));
      this.pendingBytes = data.length - start;
    }
  }
}
