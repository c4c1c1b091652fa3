// Command-line parsing shared by the pbotp subcommands.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CODE_DIGITS_DEFAULT, CODE_DIGITS_MAX, PHRASE_WORDS_DEFAULT, PHRASE_WORDS_MAX } from './encode.js';
import { intOption, UsageError } from './cli-io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** node:util parseArgs, strict, with its errors turned into UsageError. */
export function parse(args: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function str(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function strs(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v) ? v : [];
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

export const ANSWER_OPTIONS: Options = {
  digits: { type: 'string' },
  phrase: { type: 'boolean' },
  words: { type: 'string' },
};

export type AnswerMode = { kind: 'code'; digits: number } | { kind: 'phrase'; words: number };

/** --digits N, or --phrase and/or --words N; code with 9 digits by default. */
export function answerMode(parsed: Parsed): AnswerMode {
  const digits = intOption(str(parsed, 'digits'), '--digits', 1, CODE_DIGITS_MAX);
  const words = intOption(str(parsed, 'words'), '--words', 1, PHRASE_WORDS_MAX);
  const phrase = flag(parsed, 'phrase') || words !== undefined;
  if (phrase && digits !== undefined) throw new UsageError('--digits is for codes; it cannot be combined with --phrase or --words');
  return phrase ? { kind: 'phrase', words: words ?? PHRASE_WORDS_DEFAULT } : { kind: 'code', digits: digits ?? CODE_DIGITS_DEFAULT };
}
