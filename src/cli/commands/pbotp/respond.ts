// astotp pbotp respond: the authority's answer, computed on a shell.
import { parseChallenge } from '../../../pbotp/challenge-text.js';
import { groupCode, toCode, toPhrase } from '../../../pbotp/encode.js';
import { checkLogin, describeLogin, loginData } from '../../../pbotp/login.js';
import { respond } from '../../../pbotp/protocol.js';
import { parseChallengeUrl, type ChallengeRequest } from '../../../pbotp/url.js';
import { stringOption } from '../../args.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { ANSWER_OPTIONS, answerMode } from './answer-mode.js';
import { readPrivateKeyFile } from './key-files.js';

export const command: Command = {
  help: `Usage: astotp pbotp respond --key FILE URL
       astotp pbotp respond --key FILE GROUP HOST USER CHALLENGE

Prints the login it answers for ("Login: group G, host H, user U"), then the
response to a pbotp challenge: a code grouped in threes (default, 9 digits) or
a phrase of BIP39 words. CHALLENGE is the 43-character base64url challenge or
the digit groups read out over the phone (13 groups of 7 digits). Options come
first: every word from GROUP (or URL) on is taken as it is, also one that
begins with '-'; put -- before a GROUP such as -x that looks like an option.
A URL with a backslash or a . or .. path segment is refused.

  --key FILE    the authority's private key (should be mode 0600)
  --digits N    code length, 1..19 (default 9)
  --phrase      print a phrase instead of a code
  --words N     phrase length, 1..23 (default 5; implies --phrase)
`,
  options: { key: 'string', ...ANSWER_OPTIONS, help: 'boolean' },
  shortOptions: { k: 'key' },
  globalOptions: false,
  optionsFirst: true,

  async run(ctx) {
    const keyFile = stringOption(ctx.args, 'key');
    if (keyFile === undefined) throw new UsageError('--key FILE is required');
    const mode = answerMode(ctx.args);
    const { login, challenge } = request(ctx.args.positionals);
    const key = readPrivateKeyFile(keyFile, ctx.note);
    const response = respond(key, challenge, loginData(login));
    key.fill(0);
    // A pasted URL is checked by eye: show which login the answer is bound to.
    ctx.out(`Login: ${describeLogin(login)}`);
    ctx.out(mode.kind === 'code' ? groupCode(toCode(response, mode.digits)) : toPhrase(response, mode.words));
    return 0;
  },
};

function request(positionals: string[]): ChallengeRequest {
  if (positionals.length === 1) return parseChallengeUrl(positionals[0]!);
  if (positionals.length >= 4) {
    const [group, host, user, ...challenge] = positionals as [string, string, string, ...string[]];
    // Digit groups typed with spaces arrive as separate arguments.
    const login = { group, host, user };
    checkLogin(login);
    return { login, challenge: parseChallenge(challenge.join(' ')) };
  }
  throw new UsageError('give a challenge URL, or GROUP HOST USER CHALLENGE');
}
