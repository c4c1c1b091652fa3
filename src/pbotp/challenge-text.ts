// A challenge as it arrives from a URL, a form or a command line: 43 characters
// of base64url, or the phone digit groups. Text of only digits, dashes and
// spaces is read as digit groups: a real base64url challenge made of those
// characters alone has a chance of about 1e-33, while a short or mistyped
// digit entry must get the digit error, not a code for some other challenge.
import { decodeBase64url } from './base64url.js';
import { CHALLENGE_BYTES, decodeChallengeDigits, looksLikeChallengeDigits } from './challenge-digits.js';

export function parseChallenge(text: string): Uint8Array {
  const trimmed = text.trim();
  if (looksLikeChallengeDigits(trimmed)) return decodeChallengeDigits(trimmed);
  return decodeBase64url(trimmed, CHALLENGE_BYTES, 'challenge');
}
