// --name, --email and --language, as enroll, set and invite take them; the
// rules are the admin service's (auth/user-profile.ts).
import { checkProfile, ProfileError, USER_LANGUAGES } from '../auth/user-profile.js';
import type { UserProfile } from '../store/tables.js';
import { stringOption, type OptionSpec, type ParsedArgs } from './args.js';
import { UsageError } from './errors.js';

export const PROFILE_OPTIONS: OptionSpec = { name: 'string', email: 'string', language: 'string' };

export const PROFILE_HELP = `  --name TEXT          the user's name as pages and mails show it (up to 100 characters; '' clears it)
  --email ADDRESS      the user's mail address, for invitations ('' clears it)
  --language LANG      the language of the user's pages and mails: ${USER_LANGUAGES.join(', ')} ('' clears it)`;

/** The profile fields given on the command line, checked; those not given are undefined. */
export function profileOptions(args: ParsedArgs): Partial<UserProfile> {
  try {
    return checkProfile({ name: stringOption(args, 'name'), email: stringOption(args, 'email'), language: stringOption(args, 'language') });
  } catch (err) {
    if (err instanceof ProfileError) throw new UsageError(`--${err.code}: ${err.message}`);
    throw err;
  }
}
