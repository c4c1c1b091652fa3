import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../src/pbotp/base64url.js';
import { groupCode, toCode, toPhrase, verifyCode, verifyPhrase } from '../src/pbotp/encode.js';
import { formatKey, generatePrivateKey, parsePrivateKey, parsePublicKey, publicKeyOf, x25519 } from '../src/pbotp/keys.js';
import { loginData } from '../src/pbotp/login.js';
import { challengeFromNonce, computeResponse, newChallenge, respond } from '../src/pbotp/protocol.js';
import { startAttempt } from '../src/pbotp/attempt.js';

// The example of the pbotp v2 protocol description.
const PRIV = 'zGRMAXRoSKwMZG5EM-_B-s8oxTfICcfBiN1PAHCCqVo';
const PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';
const NONCE = '41dcc46f88e9eba564a23d7ddb100dbd7da7ac17cecaf9a10d4db8fdb684b7bf';
const LOGIN = { group: 'dev', host: 'SSSN7PBXFG6DY', user: 'root' };
const RESPONSE = '8471db1f5c03f751fd885f7c31862d16d6f3a77898bd2adc2ceb29ad1d6d633b';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pbotp v2 test vector', () => {
  const priv = parsePrivateKey(PRIV);
  const pub = publicKeyOf(priv);
  const { challenge, dh } = challengeFromNonce(new Uint8Array(Buffer.from(NONCE, 'hex')), pub);
  const data = loginData(LOGIN);

  it('derives the public key from the private key', () => {
    expect(formatKey(pub)).toBe(PUB);
    expect(hex(parsePublicKey(PUB))).toBe(hex(pub));
  });

  it('login_data is group NUL host NUL user NUL', () => {
    expect(Buffer.from(data).toString('latin1')).toBe('dev\0SSSN7PBXFG6DY\0root\0');
  });

  it('device and authority compute the same response', () => {
    expect(hex(x25519(priv, challenge))).toBe(hex(dh));
    expect(hex(computeResponse(dh, data))).toBe(RESPONSE);
    expect(hex(respond(priv, challenge, data))).toBe(RESPONSE);
  });

  it('formats the code and phrases of the vector', () => {
    const response = new Uint8Array(Buffer.from(RESPONSE, 'hex'));
    expect(toCode(response)).toBe('526044548');
    expect(groupCode(toCode(response))).toBe('526 044 548');
    expect(toCode(response, 19)).toBe('5906193130526044548');
    expect(toPhrase(response)).toBe('correct horse avocado cupboard unlock');
    expect(toPhrase(response, 4)).toBe('correct horse avocado cupboard');
    expect(toPhrase(response, 23)).toBe(
      'correct horse avocado cupboard unlock federal elevator garbage convince boat bitter gesture tray clarify sense rural luxury recall void spoon deputy swap swallow',
    );
  });

  it('binds the response to every login field', () => {
    for (const changed of [
      { ...LOGIN, group: 'prod' },
      { ...LOGIN, host: 'other' },
      { ...LOGIN, user: 'admin' },
    ]) {
      expect(hex(respond(priv, challenge, loginData(changed)))).not.toBe(RESPONSE);
    }
  });
});

describe('keys', () => {
  it('round-trips through the 43-character form', () => {
    const priv = generatePrivateKey();
    const text = formatKey(priv);
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hex(parsePrivateKey(` ${text}\n`))).toBe(hex(priv));
  });

  it('rejects malformed keys', () => {
    expect(() => parsePrivateKey(PRIV.slice(1))).toThrow(/43 base64url characters/);
    expect(() => parsePrivateKey(`${PRIV}=`)).toThrow(/not base64url/);
    expect(() => parsePublicKey('A'.repeat(43))).toThrow(/small-order/);
  });

  it('refuses a small-order challenge instead of answering with a predictable secret', () => {
    const zero = new Uint8Array(32);
    expect(() => respond(generatePrivateKey(), zero, loginData(LOGIN))).toThrow(/small order/);
  });
});

describe('base64url', () => {
  it('is unpadded url-safe base64', () => {
    expect(encodeBase64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(Array.from(decodeBase64url('-_8'))).toEqual([0xfb, 0xff]);
  });

  it.each([
    ['+/8', /not base64url/],
    ['-_8=', /not base64url/],
    ['-_ 8', /not base64url/],
    ['-_9', /not canonical/],
    ['AAAAA', /impossible/],
  ])('rejects %j', (text, message) => {
    expect(() => decodeBase64url(text)).toThrow(message);
  });

  it('checks the expected length', () => {
    expect(() => decodeBase64url('AAAA', 32, 'challenge')).toThrow('challenge must be 43 base64url characters (32 bytes), got 4');
  });

  it('accepts exactly one spelling of every 32-byte value', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = generatePrivateKey();
      const text = encodeBase64url(bytes);
      expect(hex(decodeBase64url(text, 32))).toBe(hex(bytes));
      const last = text.at(-1)!;
      const others = 'AEIMQUYcgkosw048'.replace(last, '');
      expect(() => decodeBase64url(text.slice(0, -1) + others[i % others.length]!, 32)).not.toThrow();
      // 43 characters carry 258 bits: only 16 of the 64 last characters are canonical.
      expect(() => decodeBase64url(`${text.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) ^ 1)}`, 32)).toThrow(
        /canonical|not base64url/,
      );
    }
  });
});

describe('round trips challenge -> respond -> verify', () => {
  const priv = generatePrivateKey();
  const pub = publicKeyOf(priv);

  it.each(Array.from({ length: 19 }, (_, i) => i + 1))('code of %i digits', (digits) => {
    const { challenge, dh } = newChallenge(pub);
    const data = loginData(LOGIN);
    const device = computeResponse(dh, data);
    const code = toCode(respond(priv, challenge, data), digits);
    expect(code).toMatch(new RegExp(`^\\d{${digits}}$`));
    expect(verifyCode(device, groupCode(code), digits)).toBe(true);
    const wrong = ((BigInt(code) + 1n) % 10n ** BigInt(digits)).toString().padStart(digits, '0');
    expect(verifyCode(device, wrong, digits)).toBe(false);
    expect(verifyCode(device, `${code}0`, digits)).toBe(false);
  });

  it.each(Array.from({ length: 23 }, (_, i) => i + 1))('phrase of %i words', (words) => {
    const { challenge, dh } = newChallenge(pub);
    const data = loginData(LOGIN);
    const device = computeResponse(dh, data);
    const phrase = toPhrase(respond(priv, challenge, data), words);
    expect(phrase.split(' ')).toHaveLength(words);
    expect(verifyPhrase(device, `  ${phrase.toUpperCase().replace(/ /g, '\t ')} \n`, words)).toBe(true);
    expect(verifyPhrase(device, phrase.split(' ').slice(1).join(' '), words)).toBe(false);
  });

  it('uses a fresh nonce for every challenge', () => {
    const seen = new Set(Array.from({ length: 50 }, () => encodeBase64url(newChallenge(pub).challenge)));
    expect(seen.size).toBe(50);
  });

  it('rejects code and phrase lengths outside the protocol', () => {
    const r = new Uint8Array(32);
    expect(() => toCode(r, 0)).toThrow();
    expect(() => toCode(r, 20)).toThrow();
    expect(() => toPhrase(r, 0)).toThrow();
    expect(() => toPhrase(r, 24)).toThrow();
  });
});

describe('startAttempt', () => {
  const priv = generatePrivateKey();
  const pub = publicKeyOf(priv);

  it('accepts the right code once and nothing after that', () => {
    const attempt = startAttempt(pub, LOGIN);
    const code = toCode(respond(priv, attempt.challenge, loginData(LOGIN)));
    expect(attempt.digitGroups).toHaveLength(13);
    expect(attempt.url('https://auth.example/pbotp/')).toBe(`https://auth.example/pbotp/dev/SSSN7PBXFG6DY/root/${attempt.challengeText}`);
    expect(attempt.used).toBe(false);
    expect(attempt.verifyCode(code)).toBe(true);
    expect(attempt.used).toBe(true);
    expect(attempt.verifyCode(code)).toBe(false);
  });

  it('a wrong first answer uses up the attempt', () => {
    const attempt = startAttempt(pub, LOGIN);
    const phrase = toPhrase(respond(priv, attempt.challenge, loginData(LOGIN)));
    expect(attempt.verifyPhrase('abandon abandon abandon abandon abandon')).toBe(false);
    expect(attempt.verifyPhrase(phrase)).toBe(false);
  });
});
