// A call on the terminal for `astotp simulate`: each prompt is printed (name
// and, when known, its words), and each line typed is keys a caller types in
// one go, as they reach GET DATA. An empty line is a timeout without digits,
// end of input is a hangup.
import { HangupError, type CallChannel, type CallInfo, type Digits, type Speech } from './channel.js';

export interface TerminalChannelOptions {
  /** The next line typed, or null at end of input; on a terminal it may show a cue first. */
  readLine: () => Promise<string | null>;
  write: (line: string) => void;
  callerId?: string;
  /** The dialplan's arguments, e.g. profile=door, user=1001. */
  args?: string[];
  /** The words of a prompt, by its name without directory. */
  promptText?: (name: string) => string | undefined;
}

export class TerminalChannel implements CallChannel {
  readonly info: CallInfo;
  private answered = false;
  private hungUp = false;
  /** Keys typed and not yet taken by a prompt. */
  private keys = '';

  constructor(private readonly opts: TerminalChannelOptions) {
    this.info = {
      channel: 'Console/simulate',
      uniqueId: `simulate-${Date.now()}.${process.pid}`,
      callerId: opts.callerId ?? '',
      args: opts.args ?? [],
      env: {},
    };
  }

  async answer(): Promise<void> {
    if (this.answered) return;
    this.answered = true;
    this.opts.write('ANSWER');
  }

  async play(prompt: string): Promise<void> {
    this.alive();
    this.opts.write(`PLAY ${this.describe(prompt)}`);
  }

  /** Never stopped by a key: on the terminal the answer is typed after the reading. */
  async speak(what: Speech, _keys: string): Promise<string> {
    this.alive();
    if ('file' in what) this.opts.write(`PLAY ${this.describe(what.file)}`);
    else if ('digits' in what) this.opts.write(`SAY DIGITS ${what.digits}`);
    else this.opts.write(`SAY NUMBER ${what.number}`);
    return '';
  }

  async sendText(text: string): Promise<boolean> {
    this.alive();
    this.opts.write(`SEND TEXT ${text}`);
    return true;
  }

  /**
   * As a phone's keys reach GET DATA: a line is what the caller types in
   * one go, its end a pause. Keys beyond what this prompt takes (the rest
   * of `*` and a recovery code) wait for the next one, as DTMF does.
   */
  async getDigits(prompt: string, timeoutMs: number, maxDigits: number): Promise<Digits> {
    this.alive();
    this.opts.write(`GET DATA ${this.describe(prompt)} [up to ${maxDigits} digits, ${Math.round(timeoutMs / 1000)} s]`);
    if (this.keys === '') {
      const line = await this.opts.readLine();
      if (line === null) {
        this.hungUp = true;
        this.opts.write('HANGUP (end of input)');
        throw new HangupError('end of input');
      }
      this.keys = line.replace(/[^0-9*#]/g, '');
    }
    return this.take(maxDigits);
  }

  /** Digits as Asterisk collects them: up to `#` or the maximum; stopping short of both is its timeout. */
  private take(maxDigits: number): Digits {
    let digits = '';
    while (this.keys !== '' && digits.length < maxDigits) {
      const key = this.keys[0]!;
      this.keys = this.keys.slice(1);
      if (key === '#') return { digits, timedOut: false };
      digits += key;
    }
    return { digits, timedOut: digits.length < maxDigits };
  }

  async setVariable(name: string, value: string, _options?: { failClosed?: boolean }): Promise<void> {
    this.opts.write(`SET ${name}=${value}`);
  }

  async userEvent(name: string, fields: ReadonlyArray<readonly [string, string]>): Promise<void> {
    this.opts.write(`USEREVENT ${name} ${fields.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  }

  async log(message: string, level = 1): Promise<void> {
    this.opts.write(`VERBOSE(${level}) ${message}`);
  }

  async close(): Promise<void> {}

  private alive(): void {
    if (this.hungUp) throw new HangupError('already hung up');
  }

  private describe(prompt: string): string {
    const text = this.opts.promptText?.(prompt.slice(prompt.lastIndexOf('/') + 1));
    return text ? `${prompt}: "${text}"` : prompt;
  }
}
