// A Site for the admin CLI tests: Asterisk's var and data dirs point into the
// site too, so doctor and install-sounds look where the site keeps things.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Site, type CliResult } from './site.js';

export class CliSite extends Site {
  readonly soundsDir = join(this.astDir, 'usr/share/asterisk/sounds/en/otp');

  constructor() {
    super();
    // Asterisk's sounds root, as an installed Asterisk has it: install-sounds writes below it.
    mkdirSync(dirname(dirname(this.soundsDir)), { recursive: true });
  }

  override get env(): Record<string, string> {
    return { ...super.env, AST_VAR_DIR: this.varDir, AST_DATA_DIR: join(this.astDir, 'usr/share/asterisk') };
  }

  /** Runs the CLI and parses its stdout as JSON, failing loudly when it is not. */
  json<T = unknown>(args: string[], input = '', env: Record<string, string> = {}): { result: CliResult; value: T } {
    const result = this.cli([...args, '--json'], input, env);
    try {
      return { result, value: JSON.parse(result.stdout) as T };
    } catch {
      throw new Error(`astotp ${args.join(' ')} --json printed no JSON (exit ${result.status}): ${result.stdout}${result.stderr}`);
    }
  }

  /** Permission bits of every file next to the database. */
  permissions(): Record<string, number> {
    return Object.fromEntries(readdirSync(this.varDir).map((f) => [f, statSync(join(this.varDir, f)).mode & 0o777]));
  }
}
