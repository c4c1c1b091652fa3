// astotp pbotp respond: the authority's answer, computed on a shell.
import { ANSWER_OPTIONS, answerMode, flag, parse, str } from './cli-args.js';
import { UsageError, type PbotpIo } from './cli-io.js';
import { parseChallenge } from './challenge-text.js';
import { groupCode, toCode, toPhrase } from './encode.js';
import { readPrivateKeyFile } from './keyfile.js';
import { loginData } from './login.js';
import { respond } from './protocol.js';
import { parseChallengeUrl, type ChallengeRequest } from './url.js';

export const RESPOND_HELP = `Usage: astotp pbotp respond --key FILE URL
       astotp pbotp respond --key FILE GROUP HOST USER CHALLENGE

Prints the response to a pbotp challenge: a code grouped in threes (default,
9 digits) or a phrase of BIP39 words. CHALLENGE is the 43-character base64url
challenge or the digit groups read out over the phone (13 groups of 7 digits).

  --key FILE    the authority's private key (should be mode 0600)
  --digits N    code length, 1..19 (default 9)
  --phrase      print a phrase instead of a code
  --words N     phrase length, 1..23 (default 5; implies --phrase)
`;

function request(positionals: string[]): ChallengeRequest {
  if (positionals.length === 1) return parseChallengeUrl(positionals[0]!);
  if (positionals.length >= 4) {
    const [group, host, user, ...challenge] = positionals as [string, string, string, ...string[]];
    // Digit groups typed with spaces arrive as separate arguments.
    const login = { group, host, user };
    loginData(login);
    return { login, challenge: parseChallenge(challenge.join(' ')) };
  }
  throw new UsageError('give a challenge URL, or GROUP HOST USER CHALLENGE');
}

export async function respondCommand(args: string[], io: PbotpIo): Promise<number> {
  const parsed = parse(args, { key: { type: 'string', short: 'k' }, ...ANSWER_OPTIONS });
  if (flag(parsed, 'help')) {
    io.stdout.write(RESPOND_HELP);
    return 0;
  }
  const keyFile = str(parsed, 'key');
  if (keyFile === undefined) throw new UsageError('--key FILE is required');
  const mode = answerMode(parsed);
  const { login, challenge } = request(parsed.positionals);
  const key = readPrivateKeyFile(keyFile, (m) => io.stderr.write(`${m}\n`));
  const response = respond(key, challenge, loginData(login));
  key.fill(0);
  io.stdout.write(`${mode.kind === 'code' ? groupCode(toCode(response, mode.digits)) : toPhrase(response, mode.words)}\n`);
  return 0;
}
