// astotp reset <user>: a new secret for a lost or replaced phone. The old one
// keeps working until a code from the new one confirms the change.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { confirmCode, enrolmentOptions, QR_HELP, SECRET_HELP, SECRET_OPTIONS, shorterCodeNote, showSecret } from '../enrollment.js';
import { CliFailure } from '../errors.js';
import { loginActor, settingsOf } from '../open.js';
import { withUser } from '../user-arg.js';

export const command: Command = {
  help: `Usage: astotp reset USER [OPTIONS]

Gives USER a new TOTP secret, prints its URI and QR code, and asks for the
code the app now shows; the old secret stays valid until that code is right.
The PIN, the recovery codes, the lockout state and the audit log are
unchanged (astotp recovery USER renews the recovery codes).

Options:
${SECRET_HELP}
${QR_HELP}
  --json               print {user, uri, secret, issuer, digits, algorithm, period} instead of the QR code
`,
  options: SECRET_OPTIONS,

  async run(ctx) {
    expectPositionals(ctx.args, ['user']);
    const settings = settingsOf(ctx);
    const { params, qr, confirm, shorterCode } = enrolmentOptions(ctx.args, settings);
    return withUser(ctx, { settings }, async ({ admin, user }) => {
      if (shorterCode) ctx.note(shorterCodeNote(user.id, params.digits, settings));
      await showSecret(ctx, user.id, params, qr);
      const secret = await confirmCode(ctx, admin, user.id, params, confirm);
      if (!(await admin.replaceSecret(loginActor, user.id, secret)))
        throw new CliFailure(`user ${user.id} was removed meanwhile; nothing was saved`);
      const msg = `User ${user.id} has a new secret; codes from the old one no longer work.`;
      if (ctx.globals.json) ctx.note(msg);
      else ctx.out(msg);
      return 0;
    });
  },
};
