// The AGI conversation over any pair of streams (stdio for classic AGI, a
// socket for FastAGI): the environment header, then strictly one command at a
// time. Writing while a reply is pending makes Asterisk abort the running
// command without answering it, so the write side is held until the reply
// arrives, even for commands whose caller has already given up.
import type { Readable } from 'node:stream';
import { callInfoFromEnv, MAX_ENV_LINES, parseEnvLine, type AgiEnvironment } from './env.js';
import { AgiDeadlineError, AgiHangupError, AgiProtocolError } from './errors.js';
import { LineReader } from './line-reader.js';
import { ReplyParser, type Reply } from './reply.js';

/** Where the session writes its commands: a socket, or classic AGI's stdout (agi/classic.ts). */
export interface AgiOutput {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  write(text: string): unknown;
  on(event: 'error' | 'close', listener: () => void): unknown;
}

export interface AgiSessionOptions {
  /** Deadline for commands allowed on a dead channel once it has hung up. Default 300. */
  afterHangupDeadlineMs?: number;
  /** Longest line accepted from Asterisk. Default 65536. */
  maxLineLength?: number;
  /** Told when the session starts and stops waiting for Asterisk. */
  observer?: AgiSessionObserver;
}

/**
 * When Asterisk owes a reply, as the session itself sees it: from a command
 * written until the reply it matches to that command. Anything that times
 * Asterisk must take these from the session rather than read the stream
 * again, or a second reading could disagree with the first (a line the one
 * sees and the other does not) and stop a clock that should run.
 */
export interface AgiSessionObserver {
  /** A command line was written; its reply is owed from now. `verb`: its first two words (GET DATA, SET VARIABLE). */
  onCommandWritten(verb: string): void;
  /** The reply owed was matched to its command (any code, 511 included). */
  onReplyComplete(): void;
}

export interface CommandOptions {
  /** Reject with AgiDeadlineError if no reply within this many ms of the call. */
  deadlineMs?: number;
  /**
   * A command a dead channel still answers (SET VARIABLE, VERBOSE): it is
   * still sent after a hangup, with the after-hangup deadline.
   */
  allowedWhenHungUp?: boolean;
  /**
   * The command that fails the call closed (SET VARIABLE ASTOTP FAILURE):
   * also sent once after Asterisk's side stopped making sense, as the
   * session's last word, since Asterisk may have run a command whose reply
   * was garbled. Its reply is the next complete one; anything else leaves
   * the channel's state unknown (AgiProtocolError).
   */
  lastWord?: boolean;
}

interface Job {
  text: string;
  /** First words, for messages; arguments may be private. */
  verb: string;
  allowed: boolean;
  lastWord: boolean;
  settled: boolean;
  timer?: NodeJS.Timeout;
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

/** AGI's own line buffer is 2048 bytes; longer commands would be cut. */
const MAX_COMMAND_BYTES = 2000;
/** How long the last word after a break waits for its reply: Asterisk answers SET VARIABLE at once. */
const LAST_WORD_DEADLINE_MS = 2000;

export class AgiSession {
  private parser = new ReplyParser();
  private readonly afterHangupMs: number;
  private readonly reader: LineReader;
  private readonly observer: AgiSessionObserver | undefined;
  private envEntries: Array<[string, string]> = [];
  private envResult: { info: AgiEnvironment } | { error: Error } | null = null;
  private envWaiters: Array<{ resolve(info: AgiEnvironment): void; reject(error: Error): void }> = [];
  private queue: Job[] = [];
  /** The command written whose reply has not arrived; it may already be settled (abandoned). */
  private awaiting: Job | null = null;
  private hungUpWhy: string | null = null;
  private endedWhy: string | null = null;
  private brokenWhy: string | null = null;
  /** The one command sent after the break has been written. */
  private lastWordSent = false;

  constructor(
    private readonly input: Readable,
    private readonly output: AgiOutput,
    options: AgiSessionOptions = {},
  ) {
    this.afterHangupMs = options.afterHangupDeadlineMs ?? 300;
    this.reader = new LineReader(options.maxLineLength ?? 65536);
    this.observer = options.observer;
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.on('close', this.onEnd);
    input.on('error', this.onInputError);
    output.on('error', this.onOutputError);
    output.on('close', this.onOutputClose);
  }

  /** Why the channel is known to be hung up, or null. */
  get hungUp(): string | null {
    return this.hungUpWhy;
  }

  /** True once nothing more can be exchanged (EOF, output gone, close()). */
  get ended(): boolean {
    return this.endedWhy !== null;
  }

  /** Resolves with the call facts once the header's empty line has arrived. */
  readEnvironment(options: { deadlineMs?: number } = {}): Promise<AgiEnvironment> {
    if (this.envResult) {
      return 'info' in this.envResult ? Promise.resolve(this.envResult.info) : Promise.reject(this.envResult.error);
    }
    return new Promise<AgiEnvironment>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.envWaiters.push(waiter);
      const ms = options.deadlineMs;
      if (ms === undefined) return;
      const timer = setTimeout(() => {
        this.envWaiters = this.envWaiters.filter((w) => w !== waiter);
        reject(new AgiDeadlineError('AGI environment', ms));
      }, ms);
      waiter.resolve = (info) => (clearTimeout(timer), resolve(info));
      waiter.reject = (error) => (clearTimeout(timer), reject(error));
    });
  }

  /** Sends one command line (arguments already quoted) and resolves with its reply. */
  command(text: string, options: CommandOptions = {}): Promise<Reply> {
    const verb = text.split(' ').slice(0, 2).join(' ');
    if (/[\r\n\0]/.test(text)) return Promise.reject(new AgiProtocolError(`${verb}: a command must be one line`));
    if (Buffer.byteLength(text) > MAX_COMMAND_BYTES) return Promise.reject(new AgiProtocolError(`${verb}: command too long`));
    const allowed = options.allowedWhenHungUp === true;
    const lastWord = options.lastWord === true;
    const refusal = this.refusal(allowed, lastWord);
    if (refusal) return Promise.reject(refusal);
    return new Promise<Reply>((resolve, reject) => {
      const job: Job = { text, verb, allowed, lastWord, settled: false, resolve, reject };
      const ms =
        options.deadlineMs ??
        (this.hungUpWhy && allowed ? this.afterHangupMs : this.brokenWhy && lastWord ? LAST_WORD_DEADLINE_MS : undefined);
      if (ms !== undefined) this.arm(job, ms);
      this.queue.push(job);
      this.pump();
    });
  }

  /**
   * Records that the caller hung up (SIGHUP, HANGUP line, 511). Pending
   * commands a dead channel refuses fail now; the reply still owed for one
   * already written is awaited and dropped before anything else is sent.
   */
  markHungUp(why: string): void {
    if (this.hungUpWhy) return;
    this.hungUpWhy = why;
    const jobs = this.awaiting ? [this.awaiting, ...this.queue] : [...this.queue];
    for (const job of jobs) {
      if (job.settled) continue;
      if (job.allowed) {
        if (!job.timer) this.arm(job, this.afterHangupMs);
      } else {
        this.settle(job, new AgiHangupError(why));
      }
    }
    this.queue = this.queue.filter((job) => !job.settled);
  }

  /** Stops listening; anything still pending fails with AgiHangupError. Does not close the streams. */
  close(): void {
    this.end('session closed');
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.input.pause();
    // The error listeners stay: an EPIPE after close must not crash the process.
  }

  private refusal(allowed: boolean, lastWord: boolean): Error | null {
    if (this.endedWhy) return new AgiHangupError(this.endedWhy);
    if (this.brokenWhy && !(lastWord && !this.lastWordSent)) return new AgiProtocolError(this.brokenWhy);
    if (this.hungUpWhy && !allowed) return new AgiHangupError(this.hungUpWhy);
    return null;
  }

  private arm(job: Job, ms: number): void {
    job.timer = setTimeout(() => {
      // A written command stays in `awaiting`: its reply is still owed.
      this.queue = this.queue.filter((j) => j !== job);
      this.settle(job, new AgiDeadlineError(job.verb, ms));
    }, ms);
  }

  private settle(job: Job, outcome: Reply | Error): void {
    if (job.settled) return;
    job.settled = true;
    if (job.timer) clearTimeout(job.timer);
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  }

  private pump(): void {
    if (!this.envResult) return;
    while (!this.awaiting && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      if (job.settled) continue;
      const refusal = this.refusal(job.allowed, job.lastWord);
      if (refusal) {
        this.settle(job, refusal);
        continue;
      }
      if (this.output.destroyed || this.output.writableEnded) {
        this.end('AGI output closed');
        return;
      }
      if (this.brokenWhy) {
        // What was half-read before the break is no reply to this command.
        this.lastWordSent = true;
        this.parser = new ReplyParser();
      }
      this.awaiting = job;
      this.output.write(`${job.text}\n`);
      this.observer?.onCommandWritten(job.verb);
    }
  }

  private readonly onData = (chunk: Buffer | string): void => {
    try {
      for (const line of this.reader.lines(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        if (this.endedWhy) return;
        this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
    } catch (error) {
      if (!(error instanceof AgiProtocolError)) throw error;
      this.fail(error);
    }
  };

  private onLine(line: string): void {
    if (!this.envResult) {
      this.onEnvLine(line);
      return;
    }
    const event = this.parser.feed(line);
    if (event.kind === 'more') return;
    if (event.kind === 'hangup') {
      this.markHungUp('HANGUP');
      return;
    }
    const job = this.awaiting;
    if (this.brokenWhy && !job) return; // Lines after the break, until the last word (if any) is written.
    if (event.kind === 'garbage' || !job) {
      // Replies can no longer be matched to commands; fail closed. The line
      // itself stays out of the message: it may carry digits the caller typed.
      const what = event.kind === 'garbage' ? `unexpected line from Asterisk (${line.length} chars)` : 'reply with no command pending';
      this.fail(new AgiProtocolError(job ? `${what} after ${job.verb}` : what));
      return;
    }
    this.awaiting = null;
    this.observer?.onReplyComplete();
    if (event.reply.code === 511) {
      this.markHungUp('511');
      this.settle(job, new AgiHangupError('511'));
    } else {
      this.settle(job, event.reply);
    }
    this.pump();
  }

  private onEnvLine(line: string): void {
    try {
      if (line === '') {
        this.finishEnv({ info: callInfoFromEnv(this.envEntries) });
        this.pump();
        return;
      }
      if (this.envEntries.length >= MAX_ENV_LINES) throw new AgiProtocolError('AGI environment too long');
      this.envEntries.push(parseEnvLine(line));
    } catch (error) {
      this.fail(error instanceof Error ? error : new AgiProtocolError(String(error)));
    }
  }

  private finishEnv(result: { info: AgiEnvironment } | { error: Error }): void {
    if (this.envResult) return;
    this.envResult = result;
    this.envEntries = [];
    const waiters = this.envWaiters;
    this.envWaiters = [];
    for (const w of waiters) {
      if ('info' in result) w.resolve(result.info);
      else w.reject(result.error);
    }
  }

  /**
   * Asterisk said something unintelligible: nothing after it can be trusted,
   * and only a last word (CommandOptions.lastWord) is still sent.
   */
  private fail(error: Error): void {
    this.brokenWhy ??= error.message;
    this.finishEnv({ error });
    this.rejectAll(error);
  }

  /** No more exchange is possible: EOF, a dead output, or close(). */
  private end(why: string): void {
    if (this.endedWhy) return;
    this.endedWhy = why;
    this.markHungUp(why);
    this.finishEnv({ error: new AgiProtocolError(`AGI input ended before the environment was complete (${why})`) });
    this.rejectAll(new AgiHangupError(why));
  }

  private rejectAll(error: Error): void {
    const jobs = this.awaiting ? [this.awaiting, ...this.queue] : this.queue;
    this.awaiting = null;
    this.queue = [];
    for (const job of jobs) this.settle(job, error);
  }

  private readonly onEnd = (): void => this.end('EOF');
  private readonly onInputError = (): void => this.end('AGI input error');
  private readonly onOutputError = (): void => this.end('AGI output closed');
  private readonly onOutputClose = (): void => this.end('AGI output closed');
}
