// A call on the terminal for `astotp simulate`: each prompt is printed (name
// and, when known, its words), each GET DATA reads one line of digits. An
// empty line is a timeout without digits, end of input is a hangup.
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

  async getDigits(prompt: string, timeoutMs: number, maxDigits: number): Promise<Digits> {
    this.alive();
    this.opts.write(`GET DATA ${this.describe(prompt)} [up to ${maxDigits} digits, ${Math.round(timeoutMs / 1000)} s]`);
    const line = await this.opts.readLine();
    if (line === null) {
      this.hungUp = true;
      this.opts.write('HANGUP (end of input)');
      throw new HangupError('end of input');
    }
    return typed(line, maxDigits);
  }

  async setVariable(name: string, value: string, _options?: { failClosed?: boolean }): Promise<void> {
    this.opts.write(`SET ${name}=${value}`);
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

/**
 * Digits as Asterisk would collect them: up to `#` or the maximum; only keypad
 * keys count. Stopping short of both is what Asterisk reports as a timeout.
 */
export function typed(line: string, maxDigits: number): Digits {
  const hash = line.indexOf('#');
  const keys = (hash < 0 ? line : line.slice(0, hash)).replace(/[^0-9*]/g, '');
  const digits = keys.slice(0, maxDigits);
  return { digits, timedOut: hash < 0 && digits.length < maxDigits };
}
