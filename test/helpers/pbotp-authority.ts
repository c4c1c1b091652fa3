// The pbotp authority as a test plays it: it hears the challenge the call
// read out (the SAY DIGITS groups), decodes it and computes the response with
// the private key of the protocol's test vector.
import { decodeChallengeDigits, GROUP_COUNT } from '../../src/pbotp/challenge-digits.js';
import { toCode } from '../../src/pbotp/encode.js';
import { parsePrivateKey } from '../../src/pbotp/keys.js';
import { loginData, type LoginFields } from '../../src/pbotp/login.js';
import { respond } from '../../src/pbotp/protocol.js';
import type { CallInput } from './asterisk-peer.js';

export const AUTHORITY_PRIV = 'zGRMAXRoSKwMZG5EM-_B-s8oxTfICcfBiN1PAHCCqVo';
export const AUTHORITY_PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';

/** The challenges read out so far, each as its 13 groups. */
export function challengesSaid(said: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i + GROUP_COUNT <= said.length; i += GROUP_COUNT) out.push(said.slice(i, i + GROUP_COUNT));
  return out;
}

/** The response code for a challenge given as its spoken groups. */
export function responseCode(groups: string[], login: LoginFields, digits = 9): string {
  const challenge = decodeChallengeDigits(groups.join(' '));
  return toCode(respond(parsePrivateKey(AUTHORITY_PRIV), challenge, loginData(login)), digits);
}

/** Types the right code for the challenge read out last. */
export function rightCode(login: LoginFields, digits = 9): CallInput {
  return { compute: (said) => responseCode(said.slice(-GROUP_COUNT), login, digits) };
}

/** Types a code one digit off the right one: certainly wrong. */
export function wrongCode(login: LoginFields, digits = 9): CallInput {
  return {
    compute: (said) => {
      const code = responseCode(said.slice(-GROUP_COUNT), login, digits);
      return `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
    },
  };
}
