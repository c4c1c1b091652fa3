// astotp token resync SERIAL CODE1 CODE2: a drifted token set right from two
// consecutive codes of it.
import { HOTP_RESYNC_WINDOW, TOTP_DRIFT_LIMIT_SECONDS } from '../../../auth/tokens.js';
import { expectPositionals } from '../../args.js';
import type { Command } from '../../command.js';
import { loginActor, openForCommand } from '../../open.js';
import { done } from '../../user-arg.js';
import { checkCodeFormat } from '../../validate.js';
import { checkTokenName } from './token-arg.js';

export const command: Command = {
  help: `Usage: astotp token resync SERIAL CODE1 CODE2

Sets a token right that calls no longer find, from two codes of it shown
one after the other: an HOTP fob pressed more than hotp_window times
without logging in (its counter is looked for up to ${HOTP_RESYNC_WINDOW} presses ahead
and set past CODE2), or a TOTP fob or phone whose clock is off (up to
${TOTP_DRIFT_LIMIT_SECONDS / 3600} hours either way: wait for CODE2 to follow CODE1; calls then allow
for the difference). SERIAL is a fob's serial or a user's app (app:USER).
Both codes are used up; codes that are not consecutive, or used already,
change nothing.
`,
  options: {},

  async run(ctx) {
    const [raw, first, second] = expectPositionals(ctx.args, ['serial', 'code1', 'code2']);
    const serial = checkTokenName(raw!, true);
    const codes = [checkCodeFormat(first!), checkCodeFormat(second!)] as const;
    const { store, admin } = await openForCommand(ctx, false);
    try {
      const { to } = await admin.resyncToken(loginActor, serial, ...codes);
      const where =
        'counter' in to
          ? `its counter is ${to.counter}`
          : to.drift === 0
            ? 'its clock agrees with this PBX'
            : `its clock is off by ${to.drift} steps`;
      return done(ctx, `Token ${serial} resynchronised: ${where}.`, { serial, ...to });
    } finally {
      await store.close();
    }
  },
};
