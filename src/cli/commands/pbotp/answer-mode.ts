// What respond prints and challenge expects: a code of N digits or a phrase of
// N words, chosen with the same options in both.
import { type AnswerMode, CODE_DIGITS_DEFAULT, CODE_DIGITS_MAX, PHRASE_WORDS_DEFAULT, PHRASE_WORDS_MAX } from '../../../pbotp/limits.js';
import { flagOption, intOption, type OptionSpec, type ParsedArgs } from '../../args.js';
import { UsageError } from '../../errors.js';

export const ANSWER_OPTIONS: OptionSpec = {
  digits: 'string',
  phrase: 'boolean',
  words: 'string',
};

/** --digits N, or --phrase and/or --words N; code with 9 digits by default. */
export function answerMode(args: ParsedArgs): AnswerMode {
  const digits = intOption(args, 'digits', 1, CODE_DIGITS_MAX);
  const words = intOption(args, 'words', 1, PHRASE_WORDS_MAX);
  const phrase = flagOption(args, 'phrase') || words !== undefined;
  if (phrase && digits !== undefined) throw new UsageError('--digits is for codes; it cannot be combined with --phrase or --words');
  return phrase ? { kind: 'phrase', words: words ?? PHRASE_WORDS_DEFAULT } : { kind: 'code', digits: digits ?? CODE_DIGITS_DEFAULT };
}
