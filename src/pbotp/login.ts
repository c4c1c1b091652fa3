// The login being approved: which device group, device and account. All three
// go into login_data (what the response is bound to) and into the URL path, so
// each must survive both unambiguously.
import { PbotpInputError } from './errors.js';

export interface LoginFields {
  group: string;
  host: string;
  user: string;
}

const MAX_FIELD_LENGTH = 255;
// Printable ASCII names only: what the authority's page shows must be exactly
// what the response is bound to, so no invisible characters, no look-alike
// letters from other scripts, no two Unicode spellings of one name. NUL would
// split login_data differently and '/' the URL path.
const NAME = /^[A-Za-z0-9_.@-]+$/;

/** Throws PbotpInputError unless `value` can be a group, host or user name. */
export function checkLoginField(name: keyof LoginFields, value: string): void {
  if (value === '') throw new PbotpInputError(`${name} is empty`);
  if (value.length > MAX_FIELD_LENGTH) throw new PbotpInputError(`${name} is longer than ${MAX_FIELD_LENGTH} characters`);
  if (!NAME.test(value)) {
    // Named by code point: the character itself may be invisible or look like an allowed one.
    const bad = [...value].find((c) => !NAME.test(c))!;
    const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new PbotpInputError(`${name} contains ${code}: only ASCII letters, digits and _ . @ - are allowed`);
  }
  // Browsers and URL parsers remove dot segments, so such a URL would not arrive intact.
  if (value === '.' || value === '..') throw new PbotpInputError(`${name} cannot be "${value}"`);
}

export function checkLogin(login: LoginFields): void {
  checkLoginField('group', login.group);
  checkLoginField('host', login.host);
  checkLoginField('user', login.user);
}

/** "group G, host H, user U": how a login is shown to whoever approves it. */
export function describeLogin(login: LoginFields): string {
  return `group ${login.group}, host ${login.host}, user ${login.user}`;
}

/** login_data = group NUL host NUL user NUL (ASCII, hence also UTF-8). */
export function loginData(login: LoginFields): Uint8Array {
  checkLogin(login);
  return new Uint8Array(Buffer.from(`${login.group}\0${login.host}\0${login.user}\0`, 'utf8'));
}
