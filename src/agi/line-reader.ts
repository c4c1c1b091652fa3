// Cuts what Asterisk sends into lines and decodes each one strictly. A NUL
// or bytes that are not UTF-8 mean we are not reading Asterisk's text
// (decoding leniently would turn them into U+FFFD and accept the line).
import { AgiProtocolError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class LineReader {
  /** Bytes after the last line break, kept until the rest of their line arrives. */
  private partial: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLine: number) {}

  /**
   * The complete lines in `chunk` (and before it), without their `\n`.
   * Lazy, so the lines before a bad one are handled before it throws.
   */
  *lines(chunk: Buffer): Generator<string> {
    const data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    let start = 0;
    let newline: number;
    this.partial = Buffer.alloc(0);
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
    this.partial = Buffer.from(data.subarray(start));
  }
}
