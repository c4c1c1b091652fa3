// Who a user is, beside how they log in: a display name, a mail address and
// a language (the prompt languages, which the web pages speak too). One rule
// each, for astotp set, enroll, invite, import and the web alike; a message
// names the field and the rule, never repeating what was given.
import { SOUND_LANGUAGES } from '../sounds/prompts.js';
import type { UserProfile } from '../store/tables.js';
import { AuthError } from './errors.js';

export const USER_LANGUAGES = SOUND_LANGUAGES;
export type UserLanguage = (typeof USER_LANGUAGES)[number];

const DISPLAY_NAME_MAX = 100;
/** RFC 5321's limit on a path, which bounds every address a server takes. */
const EMAIL_MAX = 254;

export type ProfileField = 'name' | 'email' | 'language';

/** A field that breaks its rule; code names the field, so a form can show the message next to it. */
export class ProfileError extends AuthError {
  declare readonly code: ProfileField;

  constructor(message: string, field: ProfileField) {
    super(message, field);
    this.name = 'ProfileError';
  }
}

// Control characters would break a table or a mail header; bidirectional
// overrides would make a name read as another one.
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A display name: trimmed, 1 to 100 characters, no control characters; '' means none. */
function checkDisplayName(v: string): string | null {
  const name = v.normalize('NFC').trim();
  if (name === '') return null;
  if ([...name].length > DISPLAY_NAME_MAX || UNPRINTABLE.test(name))
    throw new ProfileError(`a name must be 1 to ${DISPLAY_NAME_MAX} characters without control characters`, 'name');
  return name;
}

const LOCAL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A mail address as a mail header takes it without quoting: local@domain,
 * a dotted ASCII domain (an internationalised one in its xn-- form); '' means none.
 */
function checkEmail(v: string): string | null {
  const address = v.trim();
  if (address === '') return null;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const labels = address.slice(at + 1).split('.');
  const ok =
    at > 0 &&
    address.length <= EMAIL_MAX &&
    LOCAL.test(local) &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..') &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l));
  if (!ok) throw new ProfileError('a mail address must be like name@example.org (ASCII; a domain of its own in xn-- form)', 'email');
  return address;
}

export function isUserLanguage(v: string): v is UserLanguage {
  return (USER_LANGUAGES as readonly string[]).includes(v);
}

/** One of the prompt languages; '' means none. */
function checkLanguage(v: string): UserLanguage | null {
  const lang = v.trim().toLowerCase();
  if (lang === '') return null;
  if (!isUserLanguage(lang)) throw new ProfileError(`a language must be one of ${USER_LANGUAGES.join(', ')}`, 'language');
  return lang;
}

/** The fields given, each checked; an absent one stays undefined (kept as it is). */
export function checkProfile(given: { name?: string; email?: string; language?: string }): Partial<UserProfile> {
  const out: Partial<UserProfile> = {};
  if (given.name !== undefined) out.display_name = checkDisplayName(given.name);
  if (given.email !== undefined) out.email = checkEmail(given.email);
  if (given.language !== undefined) out.language = checkLanguage(given.language);
  return out;
}
