// CallChannel on an AGI session: which commands to send and how to read their
// results, including the ones Asterisk overloads (result=-1 means a hangup for
// GET DATA, but only maybe for STREAM FILE).
//
// This adapter is the agi layer's one import from the call layer: the flow
// above knows only CallChannel and its HangupError, the protocol below only
// its own errors. It lives here, not in call/, so that call/ names no
// transport (the simulator is a channel too).
import { HangupError, type CallChannel, type CallInfo, type Digits, type Speech } from '../call/channel.js';
import type { AgiEnvironment } from './env.js';
import { AgiHangupError, AgiProtocolError } from './errors.js';
import { quoteArg, sanitizeText } from './quote.js';
import type { Reply } from './reply.js';
import type { AgiSession, CommandOptions } from './session.js';

export interface AgiChannelOptions {
  /** Deadline for the CHANNEL STATUS that tells a missing sound from a hangup. Default 5000. */
  statusDeadlineMs?: number;
  /** Transport clean-up run once by close(), e.g. releasing stdin so the process can exit. */
  onClose?: () => void;
}

const CHANNEL_UP = '6';
/** Asterisk runs UserEvent at once. */
const USER_EVENT_DEADLINE_MS = 2000;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DIGITS = /^[0-9A-D*#]*$/;
const KEY = /^[0-9A-D*#]$/;
const ESCAPE_KEYS = /^[0-9*#]*$/;

export class AgiChannel implements CallChannel {
  private closed = false;
  private readonly statusDeadlineMs: number;
  readonly info: CallInfo;

  constructor(
    readonly session: AgiSession,
    environment: AgiEnvironment,
    private readonly options: AgiChannelOptions = {},
  ) {
    this.statusDeadlineMs = options.statusDeadlineMs ?? 5000;
    const { channel, uniqueId, callerId, args, env } = environment;
    this.info = { channel, uniqueId, callerId, args, env };
  }

  /** Why the call is known to be over, or null while it is up. */
  get hungUp(): string | null {
    return this.closed ? 'closed' : this.session.hungUp;
  }

  async answer(): Promise<void> {
    const status = await this.send('CHANNEL STATUS');
    if (status.result === '-1') throw new HangupError('CHANNEL STATUS -1');
    if (status.result === CHANNEL_UP) return;
    const answered = await this.send('ANSWER');
    if (answered.result !== '0') throw new HangupError(`ANSWER ${answered.result}`);
  }

  async getDigits(prompt: string, timeoutMs: number, maxDigits: number): Promise<Digits> {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new RangeError('timeoutMs must be a whole number >= 0');
    if (!Number.isInteger(maxDigits) || maxDigits < 1 || maxDigits > 1024) throw new RangeError('maxDigits must be 1..1024');
    const reply = await this.send(`GET DATA ${quoteArg(prompt)} ${timeoutMs} ${maxDigits}`);
    if (reply.result === '-1') throw new HangupError('GET DATA -1');
    // The reply carries what the caller typed: it must not appear in any message.
    if (!DIGITS.test(reply.result)) throw new AgiProtocolError('GET DATA answered with something other than digits');
    if (reply.data !== undefined && reply.data !== 'timeout') throw new AgiProtocolError('GET DATA answered with unknown data');
    return { digits: reply.result, timedOut: reply.data === 'timeout' };
  }

  async play(prompt: string): Promise<void> {
    const reply = await this.send(`STREAM FILE ${quoteArg(prompt)} ""`);
    if (reply.result === '-1') await this.notPlayed(`sound ${sanitizeText(prompt)}`);
  }

  /** STREAM FILE, SAY DIGITS or SAY NUMBER with escape digits; their result is the key's character code. */
  async speak(what: Speech, keys: string): Promise<string> {
    if (!ESCAPE_KEYS.test(keys)) throw new RangeError('keys must be digits, * or #');
    let command: string;
    if ('file' in what) command = `STREAM FILE ${quoteArg(what.file)} ${quoteArg(keys)}`;
    else if ('digits' in what) {
      if (!/^[0-9]+$/.test(what.digits)) throw new RangeError('SAY DIGITS takes digits only');
      command = `SAY DIGITS ${what.digits} ${quoteArg(keys)}`;
    } else {
      if (!Number.isSafeInteger(what.number) || what.number < 0) throw new RangeError('SAY NUMBER takes a whole number >= 0');
      command = `SAY NUMBER ${what.number} ${quoteArg(keys)}`;
    }
    const verb = command.split(' ').slice(0, 2).join(' ');
    const reply = await this.send(command);
    if (reply.result === '-1') {
      await this.notPlayed('file' in what ? `sound ${sanitizeText(what.file)}` : verb);
      return '';
    }
    const key = keyOf(reply.result, verb);
    if (key !== '' && !keys.includes(key)) throw new AgiProtocolError(`${verb} answered with a key it was not told to stop for`);
    return key;
  }

  async waitForKey(timeoutMs: number): Promise<string> {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new RangeError('timeoutMs must be a whole number >= 0');
    const reply = await this.send(`WAIT FOR DIGIT ${timeoutMs}`);
    if (reply.result === '-1') throw new HangupError('WAIT FOR DIGIT -1');
    return keyOf(reply.result, 'WAIT FOR DIGIT');
  }

  /** Asterisk answers 0 also when the phone cannot show text; only -1 is known not to have been sent. */
  async sendText(text: string): Promise<boolean> {
    const reply = await this.send(`SEND TEXT ${quoteArg(text)}`);
    return reply.result === '0';
  }

  /**
   * Resolves once Asterisk has acknowledged the variable (200 result=1, its
   * only success); otherwise throws HangupError or AgiProtocolError. After a
   * hangup a dead channel still takes variables, so it is tried once more
   * with the short after-hangup deadline.
   */
  async setVariable(name: string, value: string, options: { failClosed?: boolean } = {}): Promise<void> {
    const command = this.setVariableCommand(name, value);
    let reply: Reply;
    try {
      reply = await this.exchange(command, { allowedWhenHungUp: true, lastWord: options.failClosed === true });
    } catch (err) {
      // A command cut short once the call is over (deadline, EOF) failed because of the hangup.
      if (this.hungUp && !(err instanceof HangupError)) throw new HangupError(this.hungUp, { cause: err });
      throw err;
    }
    if (reply.code !== 200) throw new AgiProtocolError(`SET VARIABLE refused (${reply.code})`);
    if (reply.result === '-1') {
      this.session.markHungUp('SET VARIABLE -1');
      throw new HangupError('SET VARIABLE -1');
    }
    if (reply.result !== '1') throw new AgiProtocolError('SET VARIABLE answered with a result other than 1');
  }

  /** EXEC UserEvent: Asterisk answers at once; a hangup or anything else unexpected is no failure of the call. */
  async userEvent(name: string, fields: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (this.hungUp) return;
    const body = [name, ...fields.map(([k, v]) => `${k}: ${v}`)].join(',');
    if (/[\r\n\0|]/.test(body)) return;
    try {
      await this.session.command(`EXEC UserEvent ${quoteArg(body)}`, { deadlineMs: USER_EVENT_DEADLINE_MS });
    } catch {
      // The result is set already: an event Asterisk did not take changes nothing.
    }
  }

  /** Best effort, also on a dead channel: never throws. */
  async log(message: string, level = 1): Promise<void> {
    if (this.closed) return;
    const verbosity = Math.min(4, Math.max(1, Math.trunc(level) || 1));
    try {
      await this.session.command(`VERBOSE ${quoteArg(`astotp: ${sanitizeText(message)}`)} ${verbosity}`, { allowedWhenHungUp: true });
    } catch {
      // A log line must never turn into a failure of its own.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    this.options.onClose?.();
  }

  /** Asterisk answers -1 both for a hangup and for a missing sound file. */
  private async notPlayed(what: string): Promise<void> {
    if (this.session.hungUp) throw new HangupError(this.session.hungUp);
    const status = await this.send('CHANNEL STATUS', this.statusDeadlineMs);
    if (status.result === '-1') throw new HangupError('CHANNEL STATUS -1');
    await this.log(`${what} could not be played (missing?)`);
  }

  private setVariableCommand(name: string, value: string): string {
    if (!VARIABLE_NAME.test(name)) throw new AgiProtocolError('invalid channel variable name');
    return `SET VARIABLE ${name} ${quoteArg(sanitizeText(value))}`;
  }

  private async send(command: string, deadlineMs?: number): Promise<Reply> {
    if (this.hungUp) throw new HangupError(this.hungUp);
    const reply = await this.exchange(command, deadlineMs === undefined ? {} : { deadlineMs });
    if (reply.code !== 200) {
      throw new AgiProtocolError(`${command.split(' ').slice(0, 2).join(' ')} refused (${reply.code})`);
    }
    return reply;
  }

  /** The session's hangup becomes the call layer's; its other errors pass as they are. */
  private async exchange(command: string, options: CommandOptions): Promise<Reply> {
    try {
      return await this.session.command(command, options);
    } catch (err) {
      if (err instanceof AgiHangupError) throw new HangupError(err.why, { cause: err });
      throw err;
    }
  }
}

/** A key from its character code as media commands report it; '' for 0 (no key). */
function keyOf(result: string, verb: string): string {
  const code = /^\d{1,3}$/.test(result) ? Number(result) : NaN;
  if (code === 0) return '';
  const key = Number.isNaN(code) ? '' : String.fromCharCode(code);
  // The key may be part of a secret the caller is typing: never echo it.
  if (!KEY.test(key)) throw new AgiProtocolError(`${verb} answered with something other than a key`);
  return key;
}
