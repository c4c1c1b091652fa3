// A small argument parser: --flag, --flag value, --flag=value, -x for a
// command's one-letter aliases, and positionals; `--` ends the options.
// Anything unexpected is a UsageError.
import { didYouMean } from '../text/nearest-name.js';
import { UsageError } from './errors.js';

/** 'strings': a string option that may be given several times. */
export type OptionSpec = Record<string, 'boolean' | 'string' | 'strings'>;

export interface ParsedArgs {
  options: Record<string, string | true | string[]>;
  positionals: string[];
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec = {
  db: 'string',
  key: 'string',
  config: 'string',
  json: 'boolean',
  help: 'boolean',
  version: 'boolean',
};

/**
 * `short` maps one-letter aliases to option names, e.g. { k: 'key' } for -k.
 * With `optionsFirst` (for commands whose positionals are data that may begin
 * with '-', such as a base64url challenge) the first positional ends the
 * options, and a word that cannot be an option (-abc, -0) is a positional.
 */
export function parseArgs(argv: string[], spec: OptionSpec, short: Record<string, string> = {}, optionsFirst = false): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const letter = /^-([a-zA-Z])$/.exec(argv[i]!)?.[1];
    const arg = letter !== undefined && Object.hasOwn(short, letter) ? `--${short[letter]}` : argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (optionsFirst && !looksLikeOption(arg)) {
      positionals.push(...argv.slice(i));
      break;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const type = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (type === undefined) throw new UsageError(`unknown option --${name}${didYouMean(name, Object.keys(spec), (n) => `--${n}`)}`);
    if (type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    // A string option takes the next word even if it starts with '-' (--since -1h).
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    const earlier = options[name];
    options[name] = type === 'strings' ? [...(Array.isArray(earlier) ? earlier : []), value] : value;
  }
  return { options, positionals };
}

/** -x, --name or --name=value; anything else is data even if it begins with '-'. */
function looksLikeOption(arg: string): boolean {
  return /^-[a-zA-Z]$/.test(arg) || /^--[a-z][a-z0-9-]*(=|$)/.test(arg);
}

export function stringOption(p: ParsedArgs, name: string): string | undefined {
  const v = p.options[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable ('strings') option, in order. */
export function stringsOption(p: ParsedArgs, name: string): string[] {
  const v = p.options[name];
  return Array.isArray(v) ? v : [];
}

export function flagOption(p: ParsedArgs, name: string): boolean {
  return p.options[name] === true;
}

/** Rejects more or fewer positionals than the command takes, naming what is missing. */
export function expectPositionals(p: ParsedArgs, names: string[], optional = 0): string[] {
  const required = names.length - optional;
  if (p.positionals.length < required)
    throw new UsageError(
      `missing ${names
        .slice(p.positionals.length, required)
        .map((n) => `<${n}>`)
        .join(' ')}`,
    );
  // Not echoed: a PIN or code typed in the wrong place must not end up in a terminal log.
  if (p.positionals.length > names.length) {
    throw new UsageError(
      names.length
        ? `too many arguments: only ${names.map((n) => `<${n}>`).join(' ')} expected`
        : 'this command takes no arguments besides options',
    );
  }
  return p.positionals;
}

/** A whole number option within bounds, or undefined when not given. */
export function intOption(p: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = stringOption(p, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

/** One of a fixed set of values (case-insensitive), returned as spelled in `allowed`. */
export function choiceOption<T extends string>(p: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const v = stringOption(p, name);
  if (v === undefined) return undefined;
  const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (hit === undefined) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return hit;
}
