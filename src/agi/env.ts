// The block of `agi_name: value` lines Asterisk writes before the first command.
import { AgiProtocolError } from './errors.js';

/** More lines than any Asterisk sends; a bound so endless input cannot grow memory. */
export const MAX_ENV_LINES = 512;

const NAME = /^agi_[A-Za-z0-9_]+$/;

/** What the agi_ header says about the call. */
export interface AgiEnvironment {
  channel: string;
  uniqueId: string;
  callerId: string;
  /** Arguments given in the dialplan: AGI(otp/astotp,arg1,arg2...). */
  args: string[];
  /** The whole agi_* block, by name. */
  env: Record<string, string>;
}

/** Splits one header line (without its line break) into [name, value]. */
export function parseEnvLine(line: string): [string, string] {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon);
  // Line content stays out of the message: this may not be Asterisk talking.
  if (!NAME.test(name)) throw new AgiProtocolError('not an AGI environment line (expected agi_name: value)');
  const rest = text.slice(colon + 1);
  return [name, rest.startsWith(' ') ? rest.slice(1) : rest];
}

/** Builds the call's facts from parsed header entries, in the order Asterisk sent them. */
export function callInfoFromEnv(entries: ReadonlyArray<readonly [string, string]>): AgiEnvironment {
  if (entries.length === 0) throw new AgiProtocolError('empty AGI environment');
  const env: Record<string, string> = {};
  const args: string[] = [];
  for (const [name, value] of entries) {
    if (Object.hasOwn(env, name)) throw new AgiProtocolError(`AGI environment repeats ${name}`);
    env[name] = value;
    // Asterisk writes the arguments last, as agi_arg_1, agi_arg_2, ... A value
    // with a line break in it (a caller ID name) would add lines of its own:
    // anything else out of that order is not Asterisk's header.
    const arg = /^agi_arg_(\d+)$/.exec(name);
    if (arg ? Number(arg[1]) !== args.length + 1 : args.length > 0)
      throw new AgiProtocolError('AGI environment has its arguments out of order');
    if (arg) args.push(value);
  }
  const callerId = env.agi_callerid ?? '';
  return {
    channel: env.agi_channel ?? '',
    uniqueId: env.agi_uniqueid ?? '',
    callerId: callerId === 'unknown' ? '' : callerId,
    args,
    env,
  };
}

/** Parses a whole header given as lines (the terminating empty line excluded). */
export function parseAgiEnvironment(lines: readonly string[]): AgiEnvironment {
  if (lines.length > MAX_ENV_LINES) throw new AgiProtocolError('AGI environment too long');
  return callInfoFromEnv(lines.map(parseEnvLine));
}
