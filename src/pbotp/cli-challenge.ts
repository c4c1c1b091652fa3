// astotp pbotp challenge: the device side on a shell, e.g. to gate a login.
// One challenge, one answer: the exit status says whether it was right.
import { ANSWER_OPTIONS, answerMode, flag, parse, str } from './cli-args.js';
import { intOption, readLine, UsageError, type PbotpIo } from './cli-io.js';
import { renderQr, QR_STYLES, type QrStyle } from '../cli/qr.js';
import { startAttempt } from './attempt.js';
import { readPublicKeyFile } from './keyfile.js';
import { parsePublicKey } from './keys.js';
import { checkBaseUrl } from './url.js';

export const CHALLENGE_HELP = `Usage: astotp pbotp challenge (--pubkey KEY | --pubkey-file FILE) --group GROUP --user USER
                             [--host HOST] [--base-url URL] [--qr utf8|ansi|ascii|none]
                             [--digits N | --phrase [--words N]] [--timeout SECONDS]

Makes a fresh challenge for logging in as USER on HOST, shows it (QR code and
URL when --base-url is given, and the digit groups for reading out), then reads
one line with the code or phrase (white space ignored). Exit status 0 when it
is right, 1 otherwise. There is one try: run it again for a new challenge.

  --pubkey KEY          the authority's public key (43 characters)
  --pubkey-file FILE    read the public key from FILE
  --group GROUP         device group the authority decides on
  --host HOST           this device's name (default: the system host name)
  --user USER           the account being logged into
  --base-url URL        the responder's address; the challenge URL is below it
  --qr STYLE            utf8 (default), ansi, ascii or none
  --digits N            code length, 1..19 (default 9)
  --phrase, --words N   expect a phrase of N words, 1..23 (default 5)
  --timeout SECONDS     give up after this long (default 300; 0 waits forever)
`;

export async function challengeCommand(args: string[], io: PbotpIo): Promise<number> {
  const parsed = parse(args, {
    pubkey: { type: 'string' },
    'pubkey-file': { type: 'string' },
    group: { type: 'string' },
    host: { type: 'string' },
    user: { type: 'string' },
    'base-url': { type: 'string' },
    qr: { type: 'string' },
    timeout: { type: 'string' },
    ...ANSWER_OPTIONS,
  });
  if (flag(parsed, 'help')) {
    io.stdout.write(CHALLENGE_HELP);
    return 0;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument: ${parsed.positionals[0]}`);
  const pubText = str(parsed, 'pubkey');
  const pubFile = str(parsed, 'pubkey-file');
  if ((pubText === undefined) === (pubFile === undefined)) throw new UsageError('give exactly one of --pubkey KEY and --pubkey-file FILE');
  const group = str(parsed, 'group');
  const user = str(parsed, 'user');
  if (group === undefined || user === undefined) throw new UsageError('--group and --user are required');
  const qr = (str(parsed, 'qr') ?? 'utf8') as QrStyle;
  if (!QR_STYLES.includes(qr)) throw new UsageError(`--qr must be one of ${QR_STYLES.join(', ')}`);
  const timeout = intOption(str(parsed, 'timeout'), '--timeout', 0, 86400) ?? 300;
  const mode = answerMode(parsed);
  const baseUrlOption = str(parsed, 'base-url');
  const baseUrl = baseUrlOption === undefined ? undefined : checkBaseUrl(baseUrlOption);

  const serverPub = pubText !== undefined ? parsePublicKey(pubText) : readPublicKeyFile(pubFile!);
  const attempt = startAttempt(serverPub, { group, host: str(parsed, 'host') ?? io.hostname(), user });
  const { login } = attempt;

  const out: string[] = [];
  if (baseUrl !== undefined) {
    const url = attempt.url(baseUrl);
    const picture = renderQr(url, qr);
    if (picture !== '') out.push(picture);
    out.push(`URL: ${url}`);
  }
  out.push(`Login: group ${login.group}, host ${login.host}, user ${login.user}`);
  out.push(`Challenge: ${attempt.challengeText}`);
  out.push(`Challenge digits: ${attempt.digitGroups.join(' ')}`);
  io.stdout.write(`${out.join('\n')}\n${mode.kind === 'code' ? `Code (${mode.digits} digits)` : `Phrase (${mode.words} words)`}: `);

  const answer = await readLine(io.stdin, timeout * 1000);
  // A terminal echoed the Enter key; otherwise end the prompt line ourselves.
  if (answer === undefined || !(io.stdin as { isTTY?: boolean }).isTTY) io.stdout.write('\n');
  if (answer === undefined) {
    io.stderr.write('pbotp: no answer\n');
    return 1;
  }
  const ok = mode.kind === 'code' ? attempt.verifyCode(answer, mode.digits) : attempt.verifyPhrase(answer, mode.words);
  io.stderr.write(ok ? 'pbotp: accepted\n' : 'pbotp: wrong answer\n');
  return ok ? 0 : 1;
}
