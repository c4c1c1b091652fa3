import { describe, expect, it } from 'vitest';
import { AgiProtocolError } from '../src/agi/errors.js';
import { parseAgiEnvironment } from '../src/agi/env.js';
import { LineReader } from '../src/agi/line-reader.js';
import { parseReplyLine, ReplyParser, type ReplyEvent } from '../src/agi/reply.js';
import { quoteArg, sanitizeText } from '../src/agi/quote.js';
import { splitAgiArgs } from './helpers/asterisk-peer.js';

describe('AGI environment', () => {
  it('splits on the first colon and trims exactly one leading space', () => {
    const info = parseAgiEnvironment([
      'agi_request: otp/astotp',
      'agi_channel: SIP/pbx.example.com:5060-0000002a',
      'agi_callerid: 1001',
      'agi_calleridname:  Alice: Front desk',
      'agi_accountcode: ',
      'agi_uniqueid: 1700000000.42',
    ]);
    expect(info.channel).toBe('SIP/pbx.example.com:5060-0000002a');
    expect(info.uniqueId).toBe('1700000000.42');
    expect(info.callerId).toBe('1001');
    expect(info.env.agi_calleridname).toBe(' Alice: Front desk');
    expect(info.env.agi_accountcode).toBe('');
    expect(info.env.agi_request).toBe('otp/astotp');
  });

  it('takes agi_arg_1..N in the order Asterisk writes them, last in the header', () => {
    const info = parseAgiEnvironment(['agi_channel: PJSIP/1-1', ...Array.from({ length: 11 }, (_, i) => `agi_arg_${i + 1}: a${i + 1}`)]);
    expect(info.args).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'a10', 'a11']);
  });

  // A caller ID name with a line break in it would make lines of its own: such a header is not Asterisk's.
  it.each([
    [['agi_callerid: 1001', 'agi_arg_0: profile=weak', 'agi_arg_1: user=callerid']],
    [['agi_callerid: 1001', 'agi_arg_2: b', 'agi_arg_1: a']],
    [['agi_callerid: 1001', 'agi_arg_1: a', 'agi_arg_3: c']],
    [['agi_calleridname: x', 'agi_arg_1: profile=weak', 'agi_callingpres: 0', 'agi_arg_2: user=1']],
  ])('refuses arguments out of order or mixed with other lines: %j', (lines) => {
    expect(() => parseAgiEnvironment(lines)).toThrow(/arguments out of order/);
  });

  it('tolerates CRLF line ends', () => {
    const info = parseAgiEnvironment(['agi_channel: PJSIP/1-1\r', 'agi_arg_1: x y\r']);
    expect(info.channel).toBe('PJSIP/1-1');
    expect(info.args).toEqual(['x y']);
  });

  it("turns callerid 'unknown' into an empty caller ID", () => {
    expect(parseAgiEnvironment(['agi_callerid: unknown']).callerId).toBe('');
  });

  it('rejects input that is not an AGI header', () => {
    expect(() => parseAgiEnvironment(['hello'])).toThrow(AgiProtocolError);
    expect(() => parseAgiEnvironment(['user: 1001'])).toThrow(AgiProtocolError);
    expect(() => parseAgiEnvironment([])).toThrow(AgiProtocolError);
    expect(() => parseAgiEnvironment(['agi_channel: a', 'no colon here'])).toThrow(AgiProtocolError);
    expect(() => parseAgiEnvironment(['agi_channel: a', 'agi_channel: b'])).toThrow(AgiProtocolError);
  });
});

describe('AGI replies', () => {
  it('parses 200 with result, data and endpos', () => {
    expect(parseReplyLine('200 result=1 (speech) endpos=1234')).toEqual({ code: 200, result: '1', data: 'speech', endpos: 1234 });
    expect(parseReplyLine('200 result=0 endpos=8000')).toEqual({ code: 200, result: '0', endpos: 8000 });
    expect(parseReplyLine('200 result=12 (timeout)')).toEqual({ code: 200, result: '12', data: 'timeout' });
    expect(parseReplyLine('200 result= (timeout)')).toEqual({ code: 200, result: '', data: 'timeout' });
    expect(parseReplyLine('200 result=-1')).toEqual({ code: 200, result: '-1' });
    expect(parseReplyLine('200 result=1 (a (b) c)')?.data).toBe('a (b) c');
  });

  it('parses 510 and 511', () => {
    expect(parseReplyLine('510 Invalid or unknown command')).toEqual({ code: 510, result: '', message: 'Invalid or unknown command' });
    expect(parseReplyLine('511 Command Not Permitted on a dead channel or intercept routine')?.code).toBe(511);
  });

  it('collects a multi-line 520 into one reply', () => {
    const parser = new ReplyParser();
    const events: ReplyEvent[] = [
      '520-Invalid command syntax.  Proper usage follows:',
      ' Usage: GET DATA <file to be streamed> [timeout] [max digits]',
      '   Stream the given file.',
      '520 End of proper usage.',
    ].map((line) => parser.feed(line));
    expect(events.slice(0, 3)).toEqual([{ kind: 'more' }, { kind: 'more' }, { kind: 'more' }]);
    expect(events[3]).toEqual({
      kind: 'reply',
      reply: { code: 520, result: '', message: ' Usage: GET DATA <file to be streamed> [timeout] [max digits]\n   Stream the given file.' },
    });
    expect(parser.feed('200 result=0')).toEqual({ kind: 'reply', reply: { code: 200, result: '0' } });
  });

  it('takes a single-line 520 as a reply', () => {
    expect(new ReplyParser().feed('520 Invalid command syntax.  Proper usage not available.')).toMatchObject({
      kind: 'reply',
      reply: { code: 520 },
    });
  });

  it('recognises a FastAGI HANGUP line', () => {
    expect(new ReplyParser().feed('HANGUP')).toEqual({ kind: 'hangup' });
  });

  it('calls everything else garbage', () => {
    const parser = new ReplyParser();
    for (const line of ['hello', '', '200 result', '2000 result=1', '200 result=1 (unclosed', '100 result=0 Trying...', 'hangup']) {
      expect(parser.feed(line)).toEqual({ kind: 'garbage', line });
    }
  });
});

describe('AGI lines', () => {
  const bytes = (...parts: Array<string | number[]>) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('cuts lines across chunks, even inside a multi-byte character', () => {
    const reader = new LineReader(100);
    const text = Buffer.from('agi_calleridname: Jürgen\n200 result=1\n200 res');
    const cut = text.indexOf(0xc3) + 1; // between the two bytes of ü (c3 bc)
    expect(cut).toBeGreaterThan(1);
    expect([...reader.lines(text.subarray(0, cut))]).toEqual([]);
    expect([...reader.lines(text.subarray(cut))]).toEqual(['agi_calleridname: Jürgen', '200 result=1']);
    expect([...reader.lines(Buffer.from('ult=0\n'))]).toEqual(['200 result=0']);
  });

  it('takes a line sent one byte at a time, and bounds what is still unended', () => {
    const reader = new LineReader(20);
    const seen: string[] = [];
    for (const b of Buffer.from('200 result=1 (x)\n200 res')) seen.push(...reader.lines(Buffer.from([b])));
    expect(seen).toEqual(['200 result=1 (x)']);
    expect([...reader.lines(Buffer.from('ult=0\n'))]).toEqual(['200 result=0']);
    expect(() => {
      for (const b of Buffer.from('x'.repeat(21))) [...reader.lines(Buffer.from([b]))];
    }).toThrow(/too long/);
  });

  it.each([
    ['a NUL byte', bytes('200 result=1', [0], '2\n'), /NUL byte/],
    ['a byte that never occurs in UTF-8', bytes('200 result=12', [0xff], '\n'), /not valid UTF-8/],
    ['a cut multi-byte character', bytes('200 result=1 (', [0xc3], ')\n'), /not valid UTF-8/],
    ['an overlong encoding', bytes('200 result=', [0xc0, 0xaf], '\n'), /not valid UTF-8/],
    ['an encoded surrogate', bytes('agi_callerid: ', [0xed, 0xa0, 0x80], '\n'), /not valid UTF-8/],
  ])('refuses a line with %s, after the lines before it, without repeating it', (_, chunk, message) => {
    const reader = new LineReader(100);
    const seen: string[] = [];
    let error: unknown;
    try {
      for (const line of reader.lines(Buffer.concat([Buffer.from('200 result=0\n'), chunk]))) seen.push(line);
    } catch (err) {
      error = err;
    }
    expect(seen).toEqual(['200 result=0']);
    expect(error).toBeInstanceOf(AgiProtocolError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('result');
  });

  it('refuses a line longer than the limit before its end arrives', () => {
    const reader = new LineReader(10);
    expect(() => [...reader.lines(Buffer.from('200 result=12345'))]).toThrow(/too long/);
  });
});

describe('argument quoting', () => {
  it('quotes values so AGI sees one argument', () => {
    expect(quoteArg('astotp/enter-id')).toBe('"astotp/enter-id"');
    expect(quoteArg('')).toBe('""');
    for (const value of ['two words', 'astotp: bad code for 1001', '', 'ünïcode ok', "it's"]) {
      expect(splitAgiArgs(`SET VARIABLE X ${quoteArg(value)}`).argv).toEqual(['SET', 'VARIABLE', 'X', value]);
    }
  });

  it('refuses anything that could end the argument or the command', () => {
    for (const value of ['x\nANSWER', 'x\r\nHANGUP', 'x" "y', 'x\\', 'nul\0', 'tab\there']) {
      expect(() => quoteArg(value)).toThrow(AgiProtocolError);
    }
  });

  it('sanitizes free text into something quoteArg accepts', () => {
    const text = sanitizeText('bad "code"\nANSWER\\');
    expect(text).toBe("bad 'code' ANSWER'");
    expect(splitAgiArgs(`VERBOSE ${quoteArg(text)} 1`).argv).toHaveLength(3);
  });
});
