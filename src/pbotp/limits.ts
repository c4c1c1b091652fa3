// Lengths of pbotp codes and phrases, apart from the encoders so that reading
// the settings on every call does not load the BIP39 word list.
export const CODE_DIGITS_DEFAULT = 9;
export const CODE_DIGITS_MAX = 19;
export const PHRASE_WORDS_DEFAULT = 5;
export const PHRASE_WORDS_MAX = 23;
