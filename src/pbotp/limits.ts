// Lengths of pbotp codes and phrases, apart from the encoders so that reading
// the settings on every call does not load the BIP39 word list.
export const CODE_DIGITS_DEFAULT = 9;
export const CODE_DIGITS_MAX = 19;
export const PHRASE_WORDS_DEFAULT = 5;
export const PHRASE_WORDS_MAX = 23;

/** What the user types back: a code of N digits or a phrase of N words. */
export type AnswerMode = { kind: 'code'; digits: number } | { kind: 'phrase'; words: number };
