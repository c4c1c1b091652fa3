// What enroll and reset share: choosing the TOTP parameters, showing the new
// secret (URI and QR, on stdout only) and proving the phone has it by asking
// for one current code before anything is saved.
import { checkCode, newSecret, otpauthUri, type TotpParams } from '../auth/totp.js';
import { issuerName, type Algorithm, type Settings } from '../config/settings.js';
import { choiceOption, flagOption, intOption, stringOption, type OptionSpec, type ParsedArgs } from './args.js';
import type { CliContext } from './command.js';
import { CliFailure, UsageError } from './errors.js';
import { json } from './format.js';
import type { QrStyle } from './qr.js';
import { normaliseSecret } from './validate.js';

export const QR_CHOICES: readonly QrStyle[] = ['utf8', 'ansi', 'ascii', 'none'];

export const QR_OPTIONS: OptionSpec = { qr: 'string', issuer: 'string' };

export const SECRET_OPTIONS: OptionSpec = {
  ...QR_OPTIONS,
  secret: 'string',
  digits: 'string',
  algorithm: 'string',
  period: 'string',
  'no-confirm': 'boolean',
};

export const SECRET_HELP = `  --secret BASE32      use this secret instead of a new random one (at least 16 characters)
  --digits 6|8         code length, at most digits in astotp.conf (default: that, 6)
  --algorithm SHA1|SHA256|SHA512   (default: algorithm in astotp.conf, SHA1)
  --period N           seconds per code, 15 to 300 (default: period in astotp.conf, 30)
  --no-confirm         save without asking for a current code first`;

export const QR_HELP = `  --issuer NAME        name the app shows (default: issuer in astotp.conf, Asterisk)
  --qr STYLE           utf8 (default), ansi, ascii or none`;

export interface Enrollment extends TotpParams {
  issuer: string;
}

/** Reads and checks the options before anything is asked or opened. */
export function enrolmentOptions(args: ParsedArgs, s: Settings): { params: Enrollment; qr: QrStyle; confirm: boolean; shorterCode: boolean } {
  const given = stringOption(args, 'secret');
  const digitsText = choiceOption(args, 'digits', ['6', '8'] as const);
  const digits = digitsText === undefined ? s.digits : (Number(digitsText) as 6 | 8);
  // The call's code prompt stops at the site's digits: a longer code could never be typed whole.
  if (digits > s.digits) {
    throw new CliFailure(`--digits ${digits} is more than the ${s.digits} digits a call asks for; set digits = ${digits} in astotp.conf first, so the call's code prompt takes ${digits} (nothing was saved)`);
  }
  const params: Enrollment = {
    secret: given === undefined ? newSecret() : normaliseSecret(given),
    algorithm: choiceOption<Algorithm>(args, 'algorithm', ['SHA1', 'SHA256', 'SHA512']) ?? s.algorithm,
    digits,
    period: intOption(args, 'period', 15, 300) ?? s.period,
    issuer: issuerOption(args, s),
  };
  return { params, qr: qrOption(args), confirm: !flagOption(args, 'no-confirm'), shorterCode: digits < s.digits };
}

/** The settings' issuer was checked where astotp.conf was read; only --issuer is checked here. */
export function issuerOption(args: ParsedArgs, s: Settings): string {
  const given = stringOption(args, 'issuer');
  if (given === undefined) return s.issuer;
  try {
    return issuerName(given);
  } catch (err) {
    throw new UsageError(`--issuer: ${(err as Error).message}`);
  }
}

export function qrOption(args: ParsedArgs): QrStyle {
  return choiceOption(args, 'qr', QR_CHOICES) ?? 'utf8';
}

export function shorterCodeNote(user: string, digits: number, s: Settings): string {
  return `${user} gets ${digits}-digit codes; calls take up to ${s.digits} digits (digits in astotp.conf), so the caller ends the code with #`;
}

/** What --json shows of a secret. */
export function secretFacts(user: string, p: Enrollment) {
  const uri = otpauthUri(p, p.issuer, user);
  return { user, uri, secret: p.secret, issuer: p.issuer, digits: p.digits, algorithm: p.algorithm, period: p.period };
}

/** Prints what the authenticator app needs: the URI, the secret and the QR code; with --json, one object. */
export async function showSecret(ctx: CliContext, user: string, p: Enrollment, qr: QrStyle): Promise<void> {
  if (ctx.globals.json) return void ctx.out(json(secretFacts(user, p)));
  const uri = otpauthUri(p, p.issuer, user);
  if (qr !== 'none') {
    const { renderQr } = await import('./qr.js');
    ctx.out(renderQr(uri, qr));
  }
  ctx.out(uri);
  ctx.out(`Secret for typing into the app: ${p.secret} (${p.algorithm}, ${p.digits} digits, ${p.period} s)`);
}

/**
 * Asks for the code the app shows now and returns its time step, so the caller
 * can save it as used (the same code must not open a call afterwards).
 */
export async function confirmCode(ctx: CliContext, user: string, p: TotpParams, window: number): Promise<number> {
  if (ctx.input.isTTY) process.stderr.write(`Code shown by the app for ${user}: `);
  const line = await ctx.input.line();
  if (line === null) throw new CliFailure('no code on standard input to confirm with; nothing was saved (use --no-confirm to skip the check)');
  const check = checkCode(p, line.trim(), { window, afterStep: null });
  if (!check.valid) {
    throw new CliFailure("the code does not match (check the phone's clock and that it was scanned from this QR code); nothing was saved");
  }
  return check.timeStep;
}
