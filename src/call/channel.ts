// What the call flow needs from a phone call, whatever carries it: classic AGI
// on stdio, FastAGI over TCP, or the terminal simulator.

/** Facts about the call, as the transport learned them (agi_* variables). */
export interface CallInfo {
  channel: string;
  uniqueId: string;
  callerId: string;
  /** Arguments given in the dialplan: AGI(otp/astotp,arg1,arg2...). */
  args: string[];
  /** Everything else the transport knows, e.g. the raw agi_* block. */
  env: Record<string, string>;
}

/** Result of collecting digits after a prompt. */
export interface Digits {
  digits: string;
  /** True when the caller stopped typing before # or the maximum length. */
  timedOut: boolean;
}

/** What a channel can say: a sound file, digits one by one, or a whole number. */
export type Speech = { file: string } | { digits: string } | { number: number };

export interface CallChannel {
  readonly info: CallInfo;
  /** Answers the channel if it is not up yet. */
  answer(): Promise<void>;
  /** Plays a prompt (a sound name without extension) and collects up to maxDigits, ended by #. */
  getDigits(prompt: string, timeoutMs: number, maxDigits: number): Promise<Digits>;
  /** Plays a prompt to the end. A missing sound file is not an error of the call. */
  play(prompt: string): Promise<void>;
  /**
   * Says `what` until its end or until the caller presses one of `keys`;
   * returns that key, '' when none was pressed. Optional: without it the
   * flow says the same through play(), which no key stops.
   */
  speak?(what: Speech, keys: string): Promise<string>;
  /** Waits for one key; '' when none came in time. Optional, like speak. */
  waitForKey?(timeoutMs: number): Promise<string>;
  /** Shows text on phones that can (SendText); false when it was not sent. Optional. */
  sendText?(text: string): Promise<boolean>;
  /**
   * Resolves once the channel has taken the variable. `failClosed`: this is
   * ASTOTP=FAILURE, which a transport still sends once when it can no longer
   * make sense of the other side (Asterisk may have run a command whose
   * reply it garbled).
   */
  setVariable(name: string, value: string, options?: { failClosed?: boolean }): Promise<void>;
  /**
   * An Asterisk UserEvent(name, fields...) for AMI and ARI listeners; the
   * fields are already filtered. Best effort: never throws, and does nothing
   * on a channel that has hung up. Optional: the simulator prints it.
   */
  userEvent?(name: string, fields: ReadonlyArray<readonly [string, string]>): Promise<void>;
  /** A line for the Asterisk log; never give it a secret. */
  log(message: string, level?: number): Promise<void>;
  /**
   * Called once the flow has finished; after a hangup the transport sends only
   * what a dead channel still accepts (variables), with a short deadline.
   */
  close(): Promise<void>;
}

/** A failure of the call layer; `code` is what callers branch on. */
class CallError extends Error {
  constructor(
    message: string,
    readonly code: 'hangup',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CallError';
  }
}

/** The caller hung up (SIGHUP, EOF, result=-1, 511, HANGUP line): the channel takes no more prompts. */
export class HangupError extends CallError {
  constructor(
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`caller hung up (${why})`, 'hangup', options);
    this.name = 'HangupError';
  }
}
