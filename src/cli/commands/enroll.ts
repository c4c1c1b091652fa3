// astotp enroll <user>: a new user with a new secret, confirmed by a code
// from the phone before anything is saved.
import { newRecoveryCodes } from '../../auth/recovery-code-rules.js';
import { expectPositionals, flagOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import {
  confirmCode,
  enrolmentOptions,
  QR_HELP,
  SECRET_HELP,
  SECRET_OPTIONS,
  secretFacts,
  shorterCodeNote,
  showSecret,
} from '../enrollment.js';
import { json } from '../format.js';
import { printRecoveryCodes, recoveryCountHelp, recoveryCountOption } from '../recovery-code-sheet.js';
import { CliFailure, UsageError } from '../errors.js';
import { loginActor, openForCommand, settingsOf } from '../open.js';
import { PIN_HELP, PIN_OPTIONS, pinMode, readNewPin } from '../pin-input.js';
import { PROFILE_HELP, PROFILE_OPTIONS, profileOptions } from '../profile-options.js';
import { checkUserId, untypable } from '../validate.js';
import { checkTokenName } from './token/token-arg.js';

/** --token SERIAL, or null; the options of an app's secret mean nothing beside it. */
function fobOption(args: Parameters<typeof flagOption>[0]): string | null {
  const serial = stringOption(args, 'token');
  if (serial === undefined) return null;
  const clash = Object.keys(SECRET_OPTIONS).filter((o) => args.options[o] !== undefined);
  if (clash.length) throw new UsageError(`--token excludes ${clash.map((o) => `--${o}`).join(', ')}: a fob brings its own secret`);
  return checkTokenName(serial, false);
}

export const command: Command = {
  help: `Usage: astotp enroll USER [OPTIONS]
       astotp enroll USER --token SERIAL [OPTIONS]

Adds USER with a new TOTP secret and a PIN, prints the otpauth:// URI and a
QR code for the authenticator app, then asks for the code the app shows and
saves the user only if it is right; then prints single-use recovery codes
for a lost phone. Creates the database and the key file on first use. On a
terminal the PIN is asked twice, unseen; from a pipe the first line is the
PIN and the next one the code:
  printf '1234\\n' | astotp enroll 1001 --no-confirm
With --token, USER gets the key fob SERIAL (loaded by astotp import --pskc,
held by nobody) instead of an app: no secret, no QR code, no code asked.

Options:
  --token SERIAL       enrol USER with this key fob instead of an app
${PIN_HELP}
${SECRET_HELP}
${QR_HELP}
${recoveryCountHelp('recovery-codes')}
${PROFILE_HELP}
  --force              replace an existing user (astotp reset gives a new secret and keeps the PIN)
  --allow-untypable    enroll an ID no caller can type (letters, or more digits
                       than id_max_digits): a profile must name it (user = ID)
  --json               print {user, uri, secret, issuer, digits, algorithm, period, recovery_codes}
                       instead of the QR code
`,
  options: {
    ...PIN_OPTIONS,
    ...SECRET_OPTIONS,
    ...PROFILE_OPTIONS,
    force: 'boolean',
    'allow-untypable': 'boolean',
    'recovery-codes': 'string',
    token: 'string',
  },

  async run(ctx) {
    const [rawUser] = expectPositionals(ctx.args, ['user']);
    const user = checkUserId(rawUser!);
    const mode = pinMode(ctx.args);
    const profile = profileOptions(ctx.args);
    const settings = settingsOf(ctx);
    const fob = fobOption(ctx.args);
    const { params, qr, confirm, shorterCode } = enrolmentOptions(ctx.args, settings);
    const unreachable = untypable(user, settings);
    if (unreachable && !flagOption(ctx.args, 'allow-untypable')) {
      throw new CliFailure(`${unreachable}; nothing was saved (an ID a profile names, user = ${user}, is enrolled with --allow-untypable)`);
    }
    if (unreachable)
      ctx.warn(`${unreachable}; only a profile of astotp.conf that names it (user = ${user}) reaches it: AGI(otp/astotp,profile=NAME)`);
    if (shorterCode && fob === null) ctx.note(shorterCodeNote(user, params.digits, settings));
    const force = flagOption(ctx.args, 'force');
    const recoveryCount = recoveryCountOption(ctx.args, 'recovery-codes');

    const { store, admin } = await openForCommand(ctx, true, settings);
    try {
      if ((await store.read((t) => t.users.get(user))) && !force) {
        throw new CliFailure(`user ${user} already exists; astotp reset ${user} gives it a new secret (or enroll --force replaces it)`);
      }
      const pin = await readNewPin(ctx, mode, settings.pinMaxDigits);
      const codes = newRecoveryCodes(recoveryCount);
      let second: Parameters<typeof admin.enroll>[2];
      if (fob !== null) {
        if (ctx.globals.json) ctx.out(json({ user, token: fob, recovery_codes: codes }));
        second = { fob };
      } else {
        // One JSON object: the codes go into it, though they only work once the user is saved.
        if (ctx.globals.json) ctx.out(json({ ...secretFacts(user, params), recovery_codes: codes }));
        else await showSecret(ctx, user, params, qr);
        second = await confirmCode(ctx, admin, user, params, confirm);
      }
      const { replaced } = await admin.enroll(loginActor, user, second, { pin, recoveryCodes: codes, replace: force, profile });
      const done = `${replaced ? 'Replaced' : 'Enrolled'} user ${user}${fob === null ? '' : ` with token ${fob}`}${pin === null ? ' without a PIN: it can pass only through a profile with ask_pin = no (AGI(otp/astotp,profile=NAME))' : ''}.`;
      if (ctx.globals.json) ctx.note(done);
      else {
        ctx.out(done);
        printRecoveryCodes(ctx, user, codes);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
