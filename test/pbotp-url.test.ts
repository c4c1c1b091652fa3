import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { checkLoginField, loginData } from '../src/pbotp/login.js';
import { buildChallengeUrl, parseChallengeUrl } from '../src/pbotp/url.js';
import { encodeBase64url } from '../src/pbotp/base64url.js';
import { encodeChallengeDigits } from '../src/pbotp/challenge-digits.js';

const challenge = new Uint8Array(randomBytes(32));
const b64 = encodeBase64url(challenge);

describe('login fields', () => {
  it.each(['dev', 'SSSN7PBXFG6DY', 'pbx.example.com', 'müller', 'a@b', '%', '..x'])('accepts %j', (v) => {
    expect(() => checkLoginField('user', v)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['a/b', /slash/],
    ['a\0b', /control/],
    ['a b', /white space/],
    ['a\tb', /white space/],
    ['a\u200bb', /invisible/],
    ['.', /cannot be "."/],
    ['..', /cannot be ".."/],
    ['x'.repeat(256), /longer than 255/],
    ['\ud800', /valid Unicode/],
  ])('rejects %j', (v, message) => {
    expect(() => checkLoginField('host', v)).toThrow(message);
  });

  it('encodes login_data as UTF-8', () => {
    expect(Buffer.from(loginData({ group: 'g', host: 'h', user: 'müller' })).toString('hex')).toBe('670068006dc3bc6c6c657200');
  });
});

describe('challenge URLs', () => {
  it('builds baseurl/group/host/user/challenge', () => {
    expect(buildChallengeUrl('https://auth.example/pbotp', { group: 'dev', host: 'pbx1', user: 'root' }, challenge)).toBe(
      `https://auth.example/pbotp/dev/pbx1/root/${b64}`,
    );
    expect(buildChallengeUrl('https://auth.example//', { group: 'dev', host: 'pbx1', user: 'root' }, challenge)).toBe(
      `https://auth.example/dev/pbx1/root/${b64}`,
    );
  });

  it('percent-encodes fields and parses them back', () => {
    const login = { group: 'a?b#c', host: 'h%1', user: 'müller' };
    const url = buildChallengeUrl('http://127.0.0.1:8080', login, challenge);
    expect(url).toBe(`http://127.0.0.1:8080/a%3Fb%23c/h%251/m%C3%BCller/${b64}`);
    const parsed = parseChallengeUrl(url);
    expect(parsed.login).toEqual(login);
    expect(Buffer.from(parsed.challenge).equals(Buffer.from(challenge))).toBe(true);
  });

  it('accepts the phone digits in place of base64url', () => {
    const url = `https://x/dev/h/u/${encodeChallengeDigits(challenge).join('-')}`;
    expect(encodeBase64url(parseChallengeUrl(url).challenge)).toBe(b64);
  });

  it.each([
    ['not a url', /not a valid URL/],
    ['https://x/dev/h/u', /does not end in/],
    [`https://x/dev//u/${b64}`, /host is empty/],
    [`https://x/dev/h%2Fx/u/${b64}`, /slash/],
    [`https://x/dev/h%00/u/${b64}`, /control/],
    [`https://x/dev/h%ff/u/${b64}`, /malformed percent-encoding/],
    [`https://x/dev/h\\u/${b64}`, /backslash/],
    [`https://x/dev/h/x/../u/${b64}`, /path segment "\.\."/],
    [`https://x/dev/h/./u/${b64}`, /path segment "\."/],
    [`https://x/dev/h/x/.%2e/u/${b64}`, /path segment "\.%2e"/],
    [`https://x/dev/h/x/%2E/u/${b64}`, /path segment "%2E"/],
    [`https://x/dev/h\n/u/${b64}`, /white space/],
    [`https://x/dev/h/u/${b64.slice(1)}`, /43 base64url characters/],
    [`https://x/dev/h/u/${b64}=`, /not base64url/],
  ])('rejects %s', (url, message) => {
    expect(() => parseChallengeUrl(url)).toThrow(message);
  });

  it('refuses base URLs that would garble the path', () => {
    const login = { group: 'g', host: 'h', user: 'u' };
    expect(() => buildChallengeUrl('https://x/?a=1', login, challenge)).toThrow(/query/);
    expect(() => buildChallengeUrl('ftp://x/', login, challenge)).toThrow(/http/);
  });
});
