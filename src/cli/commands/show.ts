// astotp show <user>: one user's state; the secret only when asked for.
import { recoveryCodesLeft } from '../../auth/recovery-code-rules.js';
import { flagOption } from '../args.js';
import type { Command } from '../command.js';
import { issuerOption, QR_HELP, QR_OPTIONS, qrOption, secretFacts, showSecret, type Enrollment } from '../enrollment.js';
import { CliFailure } from '../errors.js';
import { counted, json, timeCell } from '../format.js';
import { tokenLine } from '../token-view.js';
import { loginActor } from '../open.js';
import { withUser } from '../user-arg.js';
import { invitedState, invitedView, lockCell, userView } from '../user-view.js';

export const command: Command = {
  help: `Usage: astotp show USER [--reveal-secret] [--json]

Shows USER's state. No secret is shown unless --reveal-secret is given, which
prints the otpauth:// URI and the QR code again (to set up another phone).
An ID that is invited but not enrolled yet shows its invitation.

Options:
  --reveal-secret      print the secret, its URI and QR code
${QR_HELP}
`,
  options: { ...QR_OPTIONS, 'reveal-secret': 'boolean' },

  async run(ctx) {
    const reveal = flagOption(ctx.args, 'reveal-secret');
    const qr = qrOption(ctx.args);
    const invited = async (_: unknown, inv: Parameters<typeof invitedView>[0]) => {
      if (reveal) throw new CliFailure(`${inv.user_id} is invited, not enrolled: there is no secret yet`);
      if (ctx.globals.json) return ctx.out(json(invitedView(inv)));
      const rows: [string, string][] = [
        ['user', inv.user_id],
        ['name', inv.display_name ?? '-'],
        ['email', inv.email ?? '-'],
        ['language', inv.language ?? '-'],
        ['state', invitedState(inv)],
        ['invited', `${timeCell(inv.created_at)}${inv.created_by ? ` by ${inv.created_by}` : ''}`],
        ['activation', inv.activation_hash === null ? 'no code' : `code required (${inv.wrong_codes} wrong so far)`],
      ];
      for (const [k, v] of rows) ctx.out(`${`${k}:`.padEnd(14)}${v}`);
    };
    await withUser(ctx, { invited }, async ({ store, admin, user, settings }) => {
      let revealed: Enrollment | null = null;
      if (reveal) {
        const issuer = issuerOption(ctx.args, settings);
        // Recorded before the secret is shown, as export --reveal-secret is.
        const params = await admin.revealSecret(loginActor, user);
        if (params === null) throw new CliFailure(`${user.id} has no app, only fobs, whose secrets are never shown`);
        revealed = { ...params, issuer };
      }
      const { left, tokens } = await store.read(async (t) => ({
        left: await recoveryCodesLeft(t, user.id),
        tokens: await t.tokens.ofUser(user.id),
      }));
      const view = userView(user, settings.lockoutFailures, left, tokens);
      if (ctx.globals.json) return ctx.out(json(revealed ? { ...view, ...secretFacts(user.id, revealed) } : view));
      if (revealed) await showSecret(ctx, user.id, revealed, qr);
      const rows: [string, string][] = [
        ['user', user.id],
        ['name', user.display_name ?? '-'],
        ['email', user.email ?? '-'],
        ['language', user.language ?? '-'],
        ['enabled', view.enabled ? 'yes' : 'no'],
        ['locked until', lockCell(user, settings.lockoutFailures)],
        ['failures', String(user.failures)],
        [
          'right PIN',
          `${counted(user.pin_streak, 'failure')} with the right PIN since the last login` +
            (user.lock_level > 0 ? `, ${counted(user.lock_level, 'lock')} escalated by them` : ''),
        ],
        ['last success', timeCell(user.last_success)],
        ['created', timeCell(user.created_at)],
        ['updated', timeCell(user.updated_at)],
        ['PIN', view.pin ? 'set' : 'none (passes only through a profile with ask_pin = no)'],
        ['recovery', `${view.recovery_codes_left} code${view.recovery_codes_left === 1 ? '' : 's'} left`],
        ...tokens.map((k): [string, string] => ['token', tokenLine(k)]),
      ];
      for (const [k, v] of rows) ctx.out(`${`${k}:`.padEnd(14)}${v}`);
    });
    return 0;
  },
};
