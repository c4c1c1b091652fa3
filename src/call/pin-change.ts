// A call that changes its user's PIN, as voicemail does (a profile with
// change_pin = yes): after the verified login, the new PIN twice, under the
// site's rules, stored through the admin service (audit source phone). The
// call is SUCCESS only once the new PIN is stored; a caller who does not
// get it right within the profile's tries leaves the old PIN, and the
// dialplan sees FAILURE with reason pin-unchanged. Loaded only for such a
// call: the TOTP flow itself never waits on it.
import type { CallAuth } from '../auth/call-auth.js';
import { checkPin, UserAdminError } from '../auth/user-admin.js';
import type { Context } from '../auth/verifier.js';
import type { Settings } from '../config/settings.js';
import { PROMPTS } from '../sounds/prompts.js';
import { ask, type FlowResult } from './attempt-loop.js';
import type { CallChannel } from './channel.js';

export async function changePinByPhone(
  ch: CallChannel,
  s: Settings,
  auth: Pick<CallAuth, 'changePin'>,
  user: string,
  ctx: Context,
): Promise<FlowResult> {
  const sound = (name: string) => `${s.sounds}/${name}`;
  let why = 'no new PIN typed';
  // The code prompt ends on the code's last digit, so the # a caller types
  // after it, as that prompt asks, reaches the first new-PIN prompt: an
  // empty entry ended by # there is that key, and is asked again once.
  let stray = true;
  for (let n = 1; n <= s.tries; n++) {
    let entry = await ch.getDigits(sound(PROMPTS.newPin), s.pinTimeoutMs, s.pinMaxDigits);
    if (stray && entry.digits === '' && !entry.timedOut) entry = await ch.getDigits(sound(PROMPTS.newPin), s.pinTimeoutMs, s.pinMaxDigits);
    stray = false;
    const pin = entry.digits === '' ? null : entry.digits;
    if (pin === null) {
      why = 'no new PIN typed';
      continue;
    }
    if (!followsRules(pin, s.pinMaxDigits)) {
      why = 'a new PIN against the rules';
      await ch.play(sound(PROMPTS.pinInvalid));
      continue;
    }
    const again = await ask(ch, sound(PROMPTS.newPinAgain), s.pinTimeoutMs, s.pinMaxDigits);
    if (again !== pin) {
      why = again === null ? 'the new PIN not typed again' : 'the new PIN typed differently the second time';
      await ch.play(sound(PROMPTS.pinMismatch));
      continue;
    }
    if (!(await auth.changePin(user, pin, ctx))) throw new Error(`user ${user} was removed during the call; no new PIN was stored`);
    await ch.log(`new PIN stored for user ${user}`);
    await ch.play(sound(PROMPTS.pinChanged));
    return { ok: true, reason: 'ok', user };
  }
  await ch.log(`new PIN not stored for user ${user}: ${why}`);
  await ch.play(sound(PROMPTS.pinUnchanged));
  return { ok: false, reason: 'pin-unchanged', user, note: `login ok; PIN not changed: ${why} (${s.tries} tries)` };
}

function followsRules(pin: string, maxDigits: number): boolean {
  try {
    checkPin(pin, maxDigits);
    return true;
  } catch (err) {
    if (err instanceof UserAdminError) return false;
    throw err;
  }
}
