// The dialplan's arguments to a call: AGI(otp/astotp,profile=door,user=callerid).
// Asterisk substitutes ${...} before it splits arguments on commas, and a SIP
// caller picks its own caller ID number: `user=${CALLERID(num)}` with the
// number `1001,pin=no` arrives as two arguments. So an argument may only
// choose among the admin's own profiles, and only in first place (where no
// interpolated text can put it), and the one other argument, user=, takes
// nothing but digits or the word callerid. Whatever weakens a call lives in
// astotp.conf.
import { applyProfile, SettingsError, type Profile, type Settings } from './settings.js';

/** Arguments the dialplan once took; each now lives in a profile under this key. */
const MOVED_TO_PROFILE: Readonly<Record<string, string>> = {
  pin: 'ask_pin',
  tries: 'tries',
  timeout: 'timeout',
  answer: 'answer',
  sounds: 'sounds',
  mode: 'mode',
};

/** More digits than any dialplan names; a bound, not a rule about user IDs. */
const MAX_USER_DIGITS = 64;

/** The settings of one call: [general], the profile the first argument names, then user=. */
export function applyCallArguments(s: Settings, args: readonly string[]): Settings {
  let out = s;
  const seen = new Set<string>();
  args.forEach((arg, i) => {
    if (arg === '' && i === args.length - 1) return; // AGI(otp/astotp,) and agi://h/otp? leave one empty argument
    const eq = arg.indexOf('=');
    if (eq < 1)
      throw new SettingsError(`argument ${i + 1} is not of the form key=value (known: profile=NAME first, user=DIGITS or user=callerid)`);
    const key = arg.slice(0, eq).trim().toLowerCase();
    const value = arg.slice(eq + 1).trim();
    if (seen.has(key))
      throw new SettingsError(`argument ${key}= is given twice; a repeated argument is refused, since caller data may have added it`);
    seen.add(key);
    if (key === 'profile') {
      if (i !== 0)
        throw new SettingsError('profile= must be the first argument (anything later may have come from interpolated caller data)');
      out = applyProfile(out, profileNamed(s, value));
    } else if (key === 'user') {
      out = { ...out, user: userArgument(value) };
    } else if (Object.hasOwn(MOVED_TO_PROFILE, key)) {
      throw new SettingsError(
        `argument ${key}= is no longer accepted, because a caller ID can carry it into the argument list; ` +
          `put ${MOVED_TO_PROFILE[key]} = ... in a [NAME] section with type = profile in astotp.conf and run AGI(otp/astotp,profile=NAME)`,
      );
    } else {
      throw new SettingsError(`unknown argument ${shown(key)}= (known: profile=NAME first, user=DIGITS or user=callerid)`);
    }
  });
  return out;
}

function profileNamed(s: Settings, name: string): Profile {
  const p = s.profiles.get(name.toLowerCase());
  if (!p) {
    const known = [...s.profiles.keys()];
    throw new SettingsError(
      `no profile ${shown(name)} in astotp.conf (${known.length ? `known: ${known.join(', ')}` : 'none is defined; add a [NAME] section with type = profile'})`,
    );
  }
  return p;
}

function userArgument(value: string): Settings['user'] {
  // Empty: the dialplan passed an empty variable (no caller ID); the caller is asked.
  if (value === '') return { from: 'prompt' };
  if (/^callerid$/i.test(value)) return { from: 'callerid' };
  if (!/^\d+$/.test(value) || value.length > MAX_USER_DIGITS) {
    throw new SettingsError(
      'argument user= takes digits only (or user=callerid, which astotp checks itself); ' +
        'a user ID with other characters goes in a profile (user = ID), and dialplan data in the argument list needs ${FILTER(0-9,...)}',
    );
  }
  return { from: 'fixed', id: value };
}

/** Argument text may be the caller's: name it only when it is plainly a word. */
function shown(text: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(text) ? `"${text}"` : '(not shown)';
}
