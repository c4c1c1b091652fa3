// astotp pbotp challenge: the device side on a shell, e.g. to gate a login.
// One challenge, one answer: the exit status says whether it was right.
import { hostname } from 'node:os';
import { startAttempt } from '../../../pbotp/attempt.js';
import { parsePublicKey } from '../../../pbotp/keys.js';
import { describeLogin } from '../../../pbotp/login.js';
import { checkBaseUrl } from '../../../pbotp/url.js';
import { choiceOption, expectPositionals, intOption, stringOption } from '../../args.js';
import type { Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { pictureSize, renderQr, QR_STYLES } from '../../../qr/terminal.js';
import { ANSWER_OPTIONS, answerMode } from './answer-mode.js';
import { readPublicKeyFile } from './key-files.js';

export const command: Command = {
  help: `Usage: astotp pbotp challenge (--pubkey KEY | --pubkey-file FILE) --group GROUP --user USER
                             [--host HOST] [--base-url URL] [--qr utf8|ansi|ascii|none]
                             [--digits N | --phrase [--words N]] [--timeout SECONDS]

Makes a fresh challenge for logging in as USER on HOST, shows it (the digit
groups for reading out, and with --base-url its URL with a QR code above it;
on a terminal too small for the code, the URL alone), then reads one line
with the code or phrase (white space ignored). Exit status 0 when it
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
`,
  options: {
    pubkey: 'string',
    'pubkey-file': 'string',
    group: 'string',
    host: 'string',
    user: 'string',
    'base-url': 'string',
    qr: 'string',
    timeout: 'string',
    ...ANSWER_OPTIONS,
    help: 'boolean',
  },
  globalOptions: false,

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const pubText = stringOption(ctx.args, 'pubkey');
    const pubFile = stringOption(ctx.args, 'pubkey-file');
    if ((pubText === undefined) === (pubFile === undefined))
      throw new UsageError('give exactly one of --pubkey KEY and --pubkey-file FILE');
    const group = stringOption(ctx.args, 'group');
    const user = stringOption(ctx.args, 'user');
    if (group === undefined || user === undefined) throw new UsageError('--group and --user are required');
    const qr = choiceOption(ctx.args, 'qr', QR_STYLES) ?? 'utf8';
    const timeout = intOption(ctx.args, 'timeout', 0, 86400) ?? 300;
    const mode = answerMode(ctx.args);
    const baseUrlOption = stringOption(ctx.args, 'base-url');
    const baseUrl = baseUrlOption === undefined ? undefined : checkBaseUrl(baseUrlOption);

    const serverPub = pubText !== undefined ? parsePublicKey(pubText) : readPublicKeyFile(pubFile!);
    const attempt = startAttempt(serverPub, { group, host: stringOption(ctx.args, 'host') ?? hostname(), user });
    const { login } = attempt;

    ctx.out(`Login: ${describeLogin(login)}`);
    ctx.out(`Challenge: ${attempt.challengeText}`);
    ctx.out(`Challenge digits: ${attempt.digitGroups.join(' ')}`);
    // The QR code last, right above its URL and the prompt, so a terminal of 24 rows shows all three.
    if (baseUrl !== undefined) {
      const url = attempt.url(baseUrl);
      const urlLine = `URL: ${url}`;
      const picture = renderQr(url, qr);
      const misfit = picture === '' ? null : qrMisfit(pictureSize(picture), urlLine);
      if (misfit) ctx.note(misfit);
      else if (picture !== '') ctx.out(picture);
      ctx.out(urlLine);
    }
    process.stdout.write(mode.kind === 'code' ? `Code (${mode.digits} digits): ` : `Phrase (${mode.words} words): `);

    const answer = await ctx.input.line(timeout * 1000);
    // A terminal echoed the Enter key; otherwise end the prompt line ourselves.
    if (answer === null || !ctx.input.isTTY) process.stdout.write('\n');
    if (answer === null) {
      ctx.note('pbotp: no answer');
      return 1;
    }
    const ok = mode.kind === 'code' ? attempt.verifyCode(answer, mode.digits) : attempt.verifyPhrase(answer, mode.words);
    ctx.note(ok ? 'pbotp: accepted' : 'pbotp: wrong answer');
    return ok ? 0 : 1;
  },
};

/**
 * Why the QR code is left out, or null when it fits: a code cut at the
 * terminal's edge or scrolled out of sight reads as nothing. Only a terminal
 * has a size; for anything else the code is shown as asked.
 */
function qrMisfit(size: { cols: number; rows: number }, urlLine: string): string | null {
  const { isTTY, columns, rows } = process.stdout;
  if (!isTTY || !columns || !rows) return null;
  // Below the code: the URL (as many rows as it wraps to) and the prompt.
  const needed = size.rows + Math.ceil(urlLine.length / columns) + 1;
  if (size.cols <= columns && needed <= rows) return null;
  return `pbotp: the QR code (${size.cols}x${size.rows}, with the URL and prompt ${needed} rows) does not fit this ${columns}x${rows} terminal, so only the URL is shown: open it, or enlarge the terminal and run again`;
}
