// A command on a pseudo-terminal, as an admin would run it over ssh: util-linux
// `script` gives it a pty, and the test types only once the question it
// answers has appeared (typing ahead would land before raw mode and echo).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { onTestFinished } from 'vitest';

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export class PtySession {
  /** Everything the terminal received, escapes and all. */
  output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;
  private seen = 0;
  private closed = false;
  private wake: () => void = () => {};

  constructor(command: string[], env: Record<string, string>, size = { rows: 24, cols: 80 }) {
    const line = `stty rows ${size.rows} cols ${size.cols}; exec ${command.map(quote).join(' ')}`;
    this.child = spawn('script', ['-qfec', line, '/dev/null'], { env: { ...env, TERM: 'xterm' } });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.output += chunk;
      this.wake();
    });
    // 'close', not 'exit': only then has all of the output arrived.
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code) => {
        this.closed = true;
        this.wake();
        resolve(code);
      }),
    );
    onTestFinished(() => {
      if (!this.closed) this.child.kill('SIGKILL');
    });
  }

  /** Waits until `text` appears after what earlier waits consumed; fails if the command ends first. */
  async waitFor(text: string): Promise<void> {
    for (;;) {
      const at = this.output.indexOf(text, this.seen);
      if (at >= 0) {
        this.seen = at + text.length;
        return;
      }
      if (this.closed) {
        throw new Error(`command ended before "${text}" appeared; it showed:\n${this.output}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Presses keys as they are, e.g. '\x03' for Ctrl-C (the terminal turns it into SIGINT unless in raw mode). */
  press(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Types a line, Enter included (a terminal sends CR). */
  typeLine(text: string): void {
    this.child.stdin.write(`${text}\r`);
  }

  /** The command's exit status, once it has ended. */
  exit(): Promise<number | null> {
    return this.exited;
  }
}
