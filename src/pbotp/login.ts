// The login being approved: which device group, device and account. All three
// go into login_data (what the response is bound to) and into the URL path, so
// each must survive both unambiguously.
import { PbotpInputError } from './errors.js';

export interface LoginFields {
  group: string;
  host: string;
  user: string;
}

const MAX_FIELD_BYTES = 255;
// NUL would split login_data differently, '/' would split the URL path
// differently, and invisible characters make a page lie about what it approves.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Z}/]/u;

/** Throws PbotpInputError unless `value` can be a group, host or user name. */
export function checkLoginField(name: keyof LoginFields, value: string): void {
  if (value === '') throw new PbotpInputError(`${name} is empty`);
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) {
    throw new PbotpInputError(`${name} is not valid Unicode text`);
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_FIELD_BYTES) {
    throw new PbotpInputError(`${name} is longer than ${MAX_FIELD_BYTES} bytes`);
  }
  if (FORBIDDEN.test(value)) {
    throw new PbotpInputError(`${name} contains a slash, white space or an invisible control character`);
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

/** login_data = group NUL host NUL user NUL, as UTF-8. */
export function loginData(login: LoginFields): Uint8Array {
  checkLogin(login);
  return new Uint8Array(Buffer.from(`${login.group}\0${login.host}\0${login.user}\0`, 'utf8'));
}
