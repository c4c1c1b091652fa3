// baseurl/group/host/user/b64url(challenge): how a device hands a login to
// the authority. Fields are percent-encoded when building and must decode
// cleanly when parsing; a field that fails checkLoginField is refused.
import { encodeBase64url } from './base64url.js';
import { parseChallenge } from './challenge-text.js';
import { PbotpInputError } from './errors.js';
import { checkLogin, type LoginFields } from './login.js';

export interface ChallengeRequest {
  login: LoginFields;
  challenge: Uint8Array;
}

/** Checks a base URL for challenge links: http(s), no query or fragment. Returns it without trailing slashes. */
export function checkBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new PbotpInputError('base URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PbotpInputError('base URL must be http or https');
  if (url.search !== '' || url.hash !== '' || baseUrl.includes('?') || baseUrl.includes('#')) {
    throw new PbotpInputError('base URL cannot have a query or fragment');
  }
  return baseUrl.replace(/\/+$/u, '');
}

/** "group/host/user/challenge", each part percent-encoded. */
export function challengePath(login: LoginFields, challenge: Uint8Array): string {
  checkLogin(login);
  return [login.group, login.host, login.user].map(encodeURIComponent).concat(encodeBase64url(challenge)).join('/');
}

export function buildChallengeUrl(baseUrl: string, login: LoginFields, challenge: Uint8Array): string {
  return `${checkBaseUrl(baseUrl)}/${challengePath(login, challenge)}`;
}

/** Percent-decodes one path segment; malformed escapes and invalid UTF-8 are errors. */
export function decodeSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new PbotpInputError(`${what} has a malformed percent-encoding`);
  }
}

/** Reads [group, host, user, challenge] path segments (still percent-encoded). */
export function parseChallengeSegments(segments: readonly string[]): ChallengeRequest {
  if (segments.length !== 4) throw new PbotpInputError('expected group/host/user/challenge');
  const [group, host, user, challenge] = segments.map((s, i) => decodeSegment(s, ['group', 'host', 'user', 'challenge'][i]!)) as [
    string,
    string,
    string,
    string,
  ];
  const login = { group, host, user };
  checkLogin(login);
  return { login, challenge: parseChallenge(challenge) };
}

/**
 * A URL parser turns '\' into '/' and removes dot segments (also spelt %2e),
 * so .../prod/db1\root/C or .../prod/db1/../root/C would name another login
 * than the text seems to. Such text, and white space a parser would drop, is refused.
 */
function checkLiteralPath(text: string): void {
  if (/[\s\\]/u.test(text)) throw new PbotpInputError('URL contains a backslash or white space');
  const path = text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/iu, '').replace(/[?#].*$/su, '');
  const dots = path.split('/').find((segment) => /^(\.|%2e){1,2}$/iu.test(segment));
  if (dots !== undefined) throw new PbotpInputError(`URL contains the path segment "${dots}"`);
}

/** Reads a challenge URL: the last four path segments are group/host/user/challenge. */
export function parseChallengeUrl(text: string): ChallengeRequest {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new PbotpInputError('not a valid URL');
  }
  checkLiteralPath(trimmed);
  const segments = url.pathname.replace(/\/$/u, '').split('/');
  // The leading empty segment (before the first slash) does not count.
  if (segments.length < 5) throw new PbotpInputError('URL does not end in /group/host/user/challenge');
  return parseChallengeSegments(segments.slice(-4));
}
