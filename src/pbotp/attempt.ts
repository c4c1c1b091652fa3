// The device side of one login attempt: a fresh challenge, the ways to show
// it, and a single check of what the user typed. Only the expected response is
// kept, and it is used once: a second check always fails, so a caller cannot
// turn one challenge into several guesses by mistake.
import { encodeBase64url } from './base64url.js';
import { encodeChallengeDigits } from './challenge-digits.js';
import { verifyCode, verifyPhrase } from './encode.js';
import { CODE_DIGITS_DEFAULT, PHRASE_WORDS_DEFAULT } from './limits.js';
import { loginData, type LoginFields } from './login.js';
import { computeResponse, newChallenge } from './protocol.js';
import { buildChallengeUrl } from './url.js';

export interface PbotpAttempt {
  readonly login: LoginFields;
  /** X25519(nonce, 9), 32 bytes. */
  readonly challenge: Uint8Array;
  /** The challenge in base64url (43 characters), as in the URL. */
  readonly challengeText: string;
  /** 13 groups of 7 digits for reading out over the phone. */
  readonly digitGroups: readonly string[];
  /** True once verifyCode or verifyPhrase has been called. */
  readonly used: boolean;
  url(baseUrl: string): string;
  /** Checks a typed code (white space ignored). Only the first check of an attempt can succeed. */
  verifyCode(typed: string, digits?: number): boolean;
  /** Checks a typed phrase (white space and case ignored). Only the first check can succeed. */
  verifyPhrase(typed: string, words?: number): boolean;
}

export function startAttempt(serverPub: Uint8Array, login: LoginFields): PbotpAttempt {
  const fields = { ...login };
  const data = loginData(fields);
  const { challenge, dh } = newChallenge(serverPub);
  let expected: Uint8Array | undefined = computeResponse(dh, data);
  dh.fill(0);
  const once = (check: (response: Uint8Array) => boolean): boolean => {
    const response = expected;
    expected = undefined;
    if (response === undefined) return false;
    try {
      return check(response);
    } finally {
      response.fill(0);
    }
  };
  return {
    login: fields,
    challenge,
    challengeText: encodeBase64url(challenge),
    digitGroups: encodeChallengeDigits(challenge),
    get used() {
      return expected === undefined;
    },
    url: (baseUrl) => buildChallengeUrl(baseUrl, fields, challenge),
    verifyCode: (typed, digits = CODE_DIGITS_DEFAULT) => once((r) => verifyCode(r, typed, digits)),
    verifyPhrase: (typed, words = PHRASE_WORDS_DEFAULT) => once((r) => verifyPhrase(r, typed, words)),
  };
}
