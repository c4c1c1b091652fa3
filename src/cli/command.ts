// What every command module provides, and what it gets to run with.
import type { OptionSpec, ParsedArgs } from './args.js';
import type { Input } from './input.js';

interface Globals {
  db?: string;
  key?: string;
  config?: string;
  json: boolean;
}

export interface CliContext {
  args: ParsedArgs;
  globals: Globals;
  input: Input;
  env: NodeJS.ProcessEnv;
  /** A line on stdout: results, and secrets only where a command's job is to show them. */
  out(line: string): void;
  /** A line on stderr for the admin: questions, progress, notes. */
  note(line: string): void;
  /** `astotp: warning: ...` on stderr. */
  warn(message: string): void;
}

export interface Command {
  /** Full help text, starting with the usage line. */
  help: string;
  /** Options of this command, besides the global ones. */
  options: OptionSpec;
  /** One-letter aliases of its options, e.g. { k: 'key' } for -k. */
  shortOptions?: Record<string, string>;
  /**
   * false for a command the global options mean nothing to (the pbotp tools,
   * whose --key is the authority's key): it refuses them and its help omits them.
   */
  globalOptions?: false;
  /** true: options come before the positionals, which may begin with '-' (see parseArgs). */
  optionsFirst?: true;
  run(ctx: CliContext): Promise<number>;
}
