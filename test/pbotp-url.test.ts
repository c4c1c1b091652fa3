import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { checkLoginField, loginData } from '../src/pbotp/login.js';
import { buildChallengeUrl, parseChallengeUrl } from '../src/pbotp/url.js';
import { encodeBase64url } from '../src/pbotp/base64url.js';
import { encodeChallengeDigits } from '../src/pbotp/challenge-digits.js';

const challenge = new Uint8Array(randomBytes(32));
const b64 = encodeBase64url(challenge);

describe('login fields', () => {
  it.each(['dev', 'SSSN7PBXFG6DY', 'pbx.example.com', 'first.last', 'a@b', 'under_score', '-x', '..x', 'x'.repeat(255)])(
    'accepts %j',
    (v) => {
      expect(() => checkLoginField('user', v)).not.toThrow();
    },
  );

  it.each([
    ['', /empty/],
    ['a/b', /contains U\+002F: only ASCII letters, digits and _ \. @ - are allowed/],
    ['a\0b', /U\+0000/],
    ['a b', /U\+0020/],
    ['a\tb', /U\+0009/],
    ['a\u200bb', /U\+200B/],
    ['r\u043e\u043et', /U\+043E/],
    ['m\u00fcller', /U\+00FC/],
    ['mu\u0308ller', /U\+0308/],
    ['a%b', /U\+0025/],
    ['a+b', /U\+002B/],
    ['\u{1F600}', /U\+1F600/],
    ['.', /cannot be "."/],
    ['..', /cannot be ".."/],
    ['x'.repeat(256), /longer than 255/],
    ['\ud800', /U\+D800/],
  ])('rejects %j', (v, message) => {
    expect(() => checkLoginField('host', v)).toThrow(message);
  });

  it('encodes login_data as group NUL host NUL user NUL', () => {
    expect(Buffer.from(loginData({ group: 'g', host: 'h.x', user: 'a@b' })).toString('hex')).toBe('6700682e780061406200');
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
    const login = { group: 'dev', host: 'pbx1.example', user: 'first.last@example' };
    const url = buildChallengeUrl('http://127.0.0.1:8080', login, challenge);
    expect(url).toBe(`http://127.0.0.1:8080/dev/pbx1.example/first.last%40example/${b64}`);
    for (const text of [url, url.replace('%40', '@')]) {
      const parsed = parseChallengeUrl(text);
      expect(parsed.login).toEqual(login);
      expect(Buffer.from(parsed.challenge).equals(Buffer.from(challenge))).toBe(true);
    }
  });

  it('accepts the phone digits in place of base64url', () => {
    const url = `https://x/dev/h/u/${encodeChallengeDigits(challenge).join('-')}`;
    expect(encodeBase64url(parseChallengeUrl(url).challenge)).toBe(b64);
  });

  it.each([
    ['not a url', /not a valid URL/],
    ['https://x/dev/h/u', /does not end in/],
    [`https://x/dev//u/${b64}`, /host is empty/],
    [`https://x/dev/h%2Fx/u/${b64}`, /host contains U\+002F/],
    [`https://x/dev/h%00/u/${b64}`, /host contains U\+0000/],
    [`https://x/dev/r%D0%BEot/u/${b64}`, /host contains U\+043E/],
    [`https://x/dev/h\\u/${b64}`, /backslash/],
    [`https://x/dev/h/x/../u/${b64}`, /path segment "\.\."/],
    [`https://x/dev/h/./u/${b64}`, /path segment "\."/],
    [`https://x/dev/h/x/.%2e/u/${b64}`, /path segment "\.%2e"/],
    [`https://x/dev/h/x/%2E/u/${b64}`, /path segment "%2E"/],
    [`https://x/dev/h\n/u/${b64}`, /white space/],
    [`https://x/dev/h%ff/u/${b64}`, /malformed percent-encoding/],
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
