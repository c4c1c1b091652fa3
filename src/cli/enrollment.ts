// What enroll and reset share: choosing the TOTP parameters, showing the new
// secret (URI and QR, on stdout only) and proving the phone has it by asking
// for one current code before anything is saved.
import { newSecret, normaliseCode, otpauthUri, SECRET_RULE, type TotpParams } from '../auth/totp.js';
import type { ConfirmedSecret, UserAdmin } from '../auth/user-admin.js';
import { codeAlgorithm, codeDigits, codePeriod, issuerName, type Settings } from '../config/settings.js';
import { readAdminFile } from './admin-files.js';
import { choiceOption, flagOption, stringOption, type OptionSpec, type ParsedArgs } from './args.js';
import type { CliContext } from './command.js';
import { CliFailure, UsageError } from './errors.js';
import { json } from './format.js';
import type { QrImageFormat } from '../qr/image.js';
import type { QrStyle } from '../qr/terminal.js';
import { base32Secret } from './validate.js';
import { errorMessage } from '../text/error-message.js';

export const QR_CHOICES: readonly QrStyle[] = ['ansi', 'utf8', 'ascii', 'none'];

/** Where the QR code goes: the terminal in a style, or a new image file. */
export type QrOutput = QrStyle | { format: QrImageFormat; file: string };

export const QR_OPTIONS: OptionSpec = { qr: 'string', issuer: 'string' };

export const SECRET_OPTIONS: OptionSpec = {
  ...QR_OPTIONS,
  secret: 'string',
  'secret-file': 'string',
  digits: 'string',
  algorithm: 'string',
  period: 'string',
  'no-confirm': 'boolean',
};

export const SECRET_HELP = `  --secret-file FILE   use the secret in FILE instead of a new random one (base32,
                       26 to 128 characters: at least 16 bytes, as code checks
                       need), read as the user who runs astotp
  --secret BASE32      the same on the command line, where every local user sees it
                       in the process list while astotp runs: prefer --secret-file
  --digits 6|8         code length, at most digits in astotp.conf (default: that, 6)
  --algorithm SHA1|SHA256|SHA512   (default: algorithm in astotp.conf, SHA1)
  --period N           seconds per code, 15 to 300 (default: period in astotp.conf, 30)
  --no-confirm         save without asking for a current code first`;

export const QR_HELP = `  --issuer NAME        name the app shows (default: issuer in astotp.conf, Asterisk)
  --qr STYLE           ansi (default): in black and white of its own, so it reads
                       on any terminal theme, and fits 80x24 with the prompt;
                       utf8: no colour codes, reads only on light-on-dark
                       terminals; ascii: no UTF-8 either, reads only on
                       dark-on-light ones; none
  --qr png:FILE, --qr svg:FILE
                       write the QR code to a new FILE (mode 0600) instead, to
                       hand over through a channel you trust; delete it after`;

export interface Enrollment extends TotpParams {
  issuer: string;
}

/** Reads and checks the options before anything is asked or opened. */
export function enrolmentOptions(
  args: ParsedArgs,
  s: Settings,
): { params: Enrollment; qr: QrOutput; confirm: boolean; shorterCode: boolean } {
  const given = givenSecret(args);
  const digits = ruledOption(args, 'digits', codeDigits) ?? s.digits;
  // The call's code prompt stops at the site's digits: a longer code could never be typed whole.
  if (digits > s.digits) {
    throw new CliFailure(
      `--digits ${digits} is more than the ${s.digits} digits a call asks for; set digits = ${digits} in astotp.conf first, so the call's code prompt takes ${digits} (nothing was saved)`,
    );
  }
  const params: Enrollment = {
    secret: given ?? newSecret(),
    algorithm: ruledOption(args, 'algorithm', codeAlgorithm) ?? s.algorithm,
    digits,
    period: ruledOption(args, 'period', codePeriod) ?? s.period,
    issuer: issuerOption(args, s),
  };
  return { params, qr: qrOption(args), confirm: !flagOption(args, 'no-confirm'), shorterCode: digits < s.digits };
}

/** A secret is small; anything bigger is not a secret file. */
const SECRET_FILE_BYTES = 1024;

/**
 * The secret the admin brings, if any: from --secret-file, or from --secret,
 * which /proc/PID/cmdline shows every local user while astotp runs. Never
 * repeated in a message.
 */
function givenSecret(args: ParsedArgs): string | undefined {
  const inline = stringOption(args, 'secret');
  const file = stringOption(args, 'secret-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('--secret and --secret-file exclude each other');
  if (inline !== undefined) {
    const secret = base32Secret(inline);
    if (secret === null) throw new UsageError(`--secret must be ${SECRET_RULE}`);
    return secret;
  }
  if (file === undefined) return undefined;
  const text = readAdminFile(file, SECRET_FILE_BYTES).trim();
  const secret = /\n/.test(text) ? null : base32Secret(text);
  if (secret === null) throw new CliFailure(`${file} must hold one secret on one line, ${SECRET_RULE}; nothing was saved`);
  return secret;
}

/** The settings' issuer was checked where astotp.conf was read; only --issuer is checked here. */
export function issuerOption(args: ParsedArgs, s: Settings): string {
  return ruledOption(args, 'issuer', issuerName) ?? s.issuer;
}

/** An option checked by the rule astotp.conf's key of the same meaning is checked by. */
function ruledOption<T>(args: ParsedArgs, name: string, rule: (v: string) => T): T | undefined {
  const given = stringOption(args, name);
  if (given === undefined) return undefined;
  try {
    return rule(given);
  } catch (err) {
    throw new UsageError(`--${name}: ${errorMessage(err)}`);
  }
}

export function qrOption(args: ParsedArgs): QrOutput {
  const file = /^(png|svg):(.+)$/s.exec(stringOption(args, 'qr') ?? '');
  if (file) return { format: file[1] as QrImageFormat, file: file[2]! };
  return choiceOption(args, 'qr', QR_CHOICES) ?? 'ansi';
}

export function shorterCodeNote(user: string, digits: number, s: Settings): string {
  return `${user} gets ${digits}-digit codes; calls take up to ${s.digits} digits (digits in astotp.conf), so the caller ends the code with #`;
}

/** What --json shows of a secret. */
export function secretFacts(user: string, p: Enrollment) {
  const uri = otpauthUri(p, p.issuer, user);
  return { user, uri, secret: p.secret, issuer: p.issuer, digits: p.digits, algorithm: p.algorithm, period: p.period };
}

/** The narrowest terminal the secret's line is made for. */
const SECRET_LINE_COLUMNS = 80;

/**
 * Prints what the authenticator app needs: the URI and the secret first, then
 * the QR code, so the code prompt comes right below the QR code and a 24-line
 * terminal shows both; with --json, one object. A QR file is created new, by
 * and for the admin who runs the command.
 */
export async function showSecret(ctx: CliContext, user: string, p: Enrollment, qr: QrOutput): Promise<void> {
  const uri = otpauthUri(p, p.issuer, user);
  if (typeof qr === 'object') await writeQrFile(ctx, uri, qr);
  if (ctx.globals.json) return void ctx.out(json(secretFacts(user, p)));
  ctx.out(uri);
  // One line that fits 80 columns; a secret too long for it gets a line of its own, never one split by the terminal.
  const label = `Secret for the app (${p.algorithm}, ${p.digits} digits, ${p.period} s):`;
  if (label.length + 1 + p.secret.length <= SECRET_LINE_COLUMNS) ctx.out(`${label} ${p.secret}`);
  else {
    ctx.out(label);
    ctx.out(p.secret);
  }
  if (typeof qr === 'string' && qr !== 'none') {
    const { renderQr } = await import('../qr/terminal.js');
    ctx.out(renderQr(uri, qr));
  }
}

async function writeQrFile(ctx: CliContext, uri: string, to: { format: QrImageFormat; file: string }): Promise<void> {
  const [{ qrImage }, { createExclusive }, { asInvokingUser }] = await Promise.all([
    import('../qr/image.js'),
    import('../os/files.js'),
    import('../os/identity.js'),
  ]);
  try {
    asInvokingUser(() => createExclusive(to.file, qrImage(uri, to.format), { permissions: 0o600 }));
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists already' : ((err as NodeJS.ErrnoException).code ?? 'cannot write it');
    throw new CliFailure(`cannot create ${to.file}: ${why}; nothing was saved`);
  }
  ctx.note(
    `Wrote the QR code to ${to.file} (mode 0600): it holds the secret, so hand it over only through a channel you trust, and delete it once scanned.`,
  );
}

const CODE_TRIES = 3;
const MISMATCH = "the code does not match (check the phone's clock and that it was scanned from this QR code)";

/**
 * Asks for the code the app shows now (without --no-confirm): the secret,
 * proved, to save with its time step used up (the same code must not open a
 * call afterwards). A wrong or empty answer is asked again for the same
 * secret: a slip of the finger must not cost the admin a new QR code and the
 * user a new scan.
 */
export async function confirmCode(
  ctx: CliContext,
  admin: UserAdmin,
  user: string,
  p: TotpParams,
  confirm: boolean,
): Promise<ConfirmedSecret> {
  if (!confirm) return admin.unconfirmedSecret(p);
  for (let tries = 1; ; tries++) {
    if (ctx.input.isTTY) process.stderr.write(`Code shown by the app for ${user}: `);
    const line = await ctx.input.line();
    if (line === null) {
      if (tries === 1)
        throw new CliFailure('no code on standard input to confirm with; nothing was saved (use --no-confirm to skip the check)');
      throw new CliFailure(`${MISMATCH}; nothing was saved`);
    }
    const proved = admin.confirmEnrollment(p, line);
    if (proved) return proved;
    if (tries === CODE_TRIES) throw new CliFailure(`${MISMATCH}; nothing was saved`);
    const left = CODE_TRIES - tries;
    const why = normaliseCode(line) === '' ? 'No code was typed' : `That is not the ${p.digits}-digit code the app shows now`;
    ctx.note(`${why}; ${left} ${left === 1 ? 'try' : 'tries'} left (check the phone's clock and that it was scanned from this QR code).`);
  }
}
