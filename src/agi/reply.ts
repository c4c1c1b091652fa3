// Asterisk's answers to AGI commands, one line at a time.
export interface Reply {
  code: 200 | 510 | 511 | 520;
  /** The value after result= (200 only; '' otherwise). May be '' (GET DATA with no digits). */
  result: string;
  /** Text in parentheses, e.g. 'timeout'. */
  data?: string;
  endpos?: number;
  /** Text after 510/511, or the usage text of a 520. */
  message?: string;
}

export type ReplyEvent =
  | { kind: 'reply'; reply: Reply }
  /** FastAGI's notice that the channel hung up. */
  | { kind: 'hangup' }
  /** A line inside a multi-line 520 answer; the reply comes with its last line. */
  | { kind: 'more' }
  | { kind: 'garbage'; line: string };

const OK = /^200 result=(\S*)(?: \((.*)\))?(?: endpos=(-?\d+))?$/;
const REFUSED = /^(510|511|520)(?: (.*))?$/;
/** A usage text is a few lines; more means we are not talking to Asterisk. */
const MAX_USAGE_LINES = 100;

/** Parses a single-line reply; null if the line is not one. */
export function parseReplyLine(line: string): Reply | null {
  const text = line.replace(/\s+$/, '');
  const ok = OK.exec(text);
  if (ok) {
    const reply: Reply = { code: 200, result: ok[1] ?? '' };
    if (ok[2] !== undefined) reply.data = ok[2];
    if (ok[3] !== undefined) reply.endpos = Number(ok[3]);
    return reply;
  }
  const refused = REFUSED.exec(text);
  if (refused) {
    return { code: Number(refused[1]) as 510 | 511 | 520, result: '', message: refused[2] ?? '' };
  }
  return null;
}

/** Feeds lines in arrival order; keeps the state a 520 usage block needs. */
export class ReplyParser {
  private usage: string[] | null = null;

  feed(rawLine: string): ReplyEvent {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (this.usage) {
      if (line.startsWith('520 ') || line === '520') {
        const message = this.usage.join('\n');
        this.usage = null;
        return { kind: 'reply', reply: { code: 520, result: '', message } };
      }
      if (this.usage.length >= MAX_USAGE_LINES) {
        this.usage = null;
        return { kind: 'garbage', line };
      }
      this.usage.push(line);
      return { kind: 'more' };
    }
    if (line === 'HANGUP') return { kind: 'hangup' };
    if (line.startsWith('520-')) {
      this.usage = [];
      return { kind: 'more' };
    }
    const reply = parseReplyLine(line);
    return reply ? { kind: 'reply', reply } : { kind: 'garbage', line };
  }
}
