// What the pbotp commands need from the process, injectable so tests can run
// them in-process with their own streams.
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { VERSION } from '../cli/version.js';

export interface PbotpIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Shown by `serve` on its home page. */
  version: string;
  hostname: () => string;
  /** Where SIGTERM/SIGINT arrive; `serve` stops when either is emitted. */
  signals: NodeJS.EventEmitter;
}

export function processIo(version = `astotp ${VERSION}`): PbotpIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, version, hostname, signals: process };
}

/** A wrong command line: exit status 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Reads the whole stream, refusing more than `limit` bytes. */
export async function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw new Error(`input longer than ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from the stream; undefined on end of input or after timeoutMs (0: wait forever). */
export function readLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: stream, terminal: false });
    let timer: NodeJS.Timeout | undefined;
    const done = (line: string | undefined) => {
      if (timer !== undefined) clearTimeout(timer);
      rl.removeAllListeners();
      rl.close();
      resolve(line);
    };
    rl.once('line', (line) => done(line));
    rl.once('close', () => done(undefined));
    if (timeoutMs > 0) timer = setTimeout(() => done(undefined), timeoutMs);
  });
}

/** A whole number option in min..max. */
export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}
