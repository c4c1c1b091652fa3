// Turning a 32-byte response into something a person can type, and checking
// what they typed. Comparisons hash both sides first so their timing reveals
// neither content nor length.
import { createHash, timingSafeEqual } from 'node:crypto';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { PbotpInputError } from './errors.js';

import { CODE_DIGITS_DEFAULT, CODE_DIGITS_MAX, PHRASE_WORDS_DEFAULT, PHRASE_WORDS_MAX } from './limits.js';

export function checkCodeDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 1 || digits > CODE_DIGITS_MAX) {
    throw new PbotpInputError(`code length must be 1..${CODE_DIGITS_MAX} digits`);
  }
}

export function checkPhraseWords(words: number): void {
  if (!Number.isInteger(words) || words < 1 || words > PHRASE_WORDS_MAX) {
    throw new PbotpInputError(`phrase length must be 1..${PHRASE_WORDS_MAX} words`);
  }
}

/** First 8 bytes as little-endian uint64, mod 10^digits, zero-padded. */
export function toCode(response: Uint8Array, digits = CODE_DIGITS_DEFAULT): string {
  checkCodeDigits(digits);
  const p = Buffer.from(response.buffer, response.byteOffset, response.byteLength).readBigUInt64LE(0);
  return (p % 10n ** BigInt(digits)).toString().padStart(digits, '0');
}

/** "526044548" -> "526 044 548": groups of three from the left. */
export function groupCode(code: string): string {
  return code.replace(/\d{3}(?=\d)/g, '$& ');
}

/** The response as a little-endian integer, 11 bits per BIP39 word, low bits first. */
export function toPhrase(response: Uint8Array, words = PHRASE_WORDS_DEFAULT): string {
  checkPhraseWords(words);
  let n = BigInt(`0x${Buffer.from(response).reverse().toString('hex')}`);
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    out.push(wordlist[Number(n & 0x7ffn)] as string);
    n >>= 11n;
  }
  return out.join(' ');
}

/** Typed codes and phrases: white space anywhere is ignored, letters are case-insensitive. */
function normaliseTyped(typed: string): string {
  return typed.replace(/\s+/gu, '').toLowerCase();
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equality whose timing depends on neither string. */
function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function verifyCode(response: Uint8Array, typed: string, digits = CODE_DIGITS_DEFAULT): boolean {
  return constantTimeEqual(normaliseTyped(typed), toCode(response, digits));
}

export function verifyPhrase(response: Uint8Array, typed: string, words = PHRASE_WORDS_DEFAULT): boolean {
  return constantTimeEqual(normaliseTyped(typed), normaliseTyped(toPhrase(response, words)));
}
