import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DAMM_TABLE, dammCheckDigit, dammValid } from '../src/pbotp/damm.js';
import { ChallengeDigitsError, decodeChallengeDigits, encodeChallengeDigits } from '../src/pbotp/challenge-digits.js';
import { parseChallenge } from '../src/pbotp/challenge-text.js';
import { encodeBase64url } from '../src/pbotp/base64url.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const random32 = () => new Uint8Array(randomBytes(32));

function digitsError(typed: string): ChallengeDigitsError {
  try {
    decodeChallengeDigits(typed);
  } catch (err) {
    if (err instanceof ChallengeDigitsError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

describe('Damm table', () => {
  const op = (a: number, b: number) => DAMM_TABLE[a]![b]!;
  it('is a quasigroup with zeros on the diagonal', () => {
    for (let a = 0; a < 10; a++) {
      expect(op(a, a)).toBe(0);
      expect(new Set(DAMM_TABLE[a]).size).toBe(10);
      expect(new Set(DAMM_TABLE.map((row) => row[a])).size).toBe(10);
    }
  });
  it('is weakly totally anti-symmetric, so adjacent transpositions change the result', () => {
    for (let c = 0; c < 10; c++)
      for (let x = 0; x < 10; x++) for (let y = 0; y < 10; y++) if (op(op(c, x), y) === op(op(c, y), x)) expect(x).toBe(y);
  });
  it('matches the published example 572 -> 4', () => {
    expect(dammCheckDigit('572')).toBe('4');
    expect(dammValid('5724')).toBe(true);
    expect(dammValid('5274')).toBe(false);
  });
});

describe('challenge digit groups', () => {
  it('encodes 32 bytes as 13 groups of 6 digits and a check digit, little-endian', () => {
    const one = new Uint8Array(32);
    one[0] = 1;
    const groups = encodeChallengeDigits(one);
    expect(groups).toHaveLength(13);
    for (const g of groups) expect(g).toMatch(/^\d{7}$/);
    expect(groups.map((g) => g.slice(0, 6)).join('')).toBe('1'.padStart(78, '0'));
    const max = new Uint8Array(32).fill(0xff);
    expect(
      BigInt(
        encodeChallengeDigits(max)
          .map((g) => g.slice(0, 6))
          .join(''),
      ),
    ).toBe((1n << 256n) - 1n);
  });

  it('gives the worked example of the README for the test vector challenge', () => {
    const challenge = parseChallenge('0SFyjtn--dz0K8rfCmDesHE08Ylvt5kfFoTd3WuotiM');
    expect(hex(challenge)).toBe('d121728ed9fef9dcf42bcadf0a60deb07134f1896fb7991f1684dddd6ba8b623');
    const groups = encodeChallengeDigits(challenge);
    expect(groups.map((g) => g.slice(0, 6)).join('')).toBe(
      '016153678267669686581121308987761441573427881472106256271670577186265617277393',
    );
    expect(groups.join(' ')).toBe(
      '0161533 6782670 6696861 5811210 3089873 7614412 5734270 8814727 1062560 2716707 5771862 2656173 2773933',
    );
    expect(dammCheckDigit('01016153')).toBe('3');
    expect(dammCheckDigit('02678267')).toBe('0');
  });

  it('round-trips with spaces, dashes or nothing between the groups', () => {
    for (let i = 0; i < 200; i++) {
      const c = random32();
      const groups = encodeChallengeDigits(c);
      for (const typed of [groups.join(' '), groups.join('-'), groups.join(''), ` ${groups.join('  \n')} `]) {
        expect(hex(decodeChallengeDigits(typed))).toBe(hex(c));
      }
      expect(hex(parseChallenge(groups.join('-')))).toBe(hex(c));
      expect(hex(parseChallenge(encodeBase64url(c)))).toBe(hex(c));
    }
  });

  it('catches every single-digit error and names the group', () => {
    for (let round = 0; round < 8; round++) {
      const groups = encodeChallengeDigits(random32());
      groups.forEach((group, g) => {
        for (let pos = 0; pos < 7; pos++) {
          for (let d = 0; d < 10; d++) {
            if (String(d) === group[pos]) continue;
            const typo = [...groups];
            typo[g] = group.slice(0, pos) + d + group.slice(pos + 1);
            const err = digitsError(typo.join(' '));
            expect(err.groups).toEqual([g + 1]);
            expect(err.message).toContain(`group ${g + 1} (${typo[g]})`);
          }
        }
      });
    }
  });

  it('catches every transposition of adjacent digits, including across a group boundary', () => {
    for (let round = 0; round < 50; round++) {
      const all = encodeChallengeDigits(random32()).join('');
      for (let i = 0; i + 1 < all.length; i++) {
        if (all[i] === all[i + 1]) continue;
        const swapped = all.slice(0, i) + all[i + 1] + all[i] + all.slice(i + 2);
        const err = digitsError(swapped);
        expect(err.groups.length).toBeGreaterThan(0);
        expect(err.groups).toContain(Math.floor(i / 7) + 1);
      }
    }
  });

  it('catches groups typed out of order', () => {
    const groups = encodeChallengeDigits(random32());
    [groups[2], groups[3]] = [groups[3]!, groups[2]!];
    expect(digitsError(groups.join(' ')).groups).toEqual(expect.arrayContaining([3, 4]));
  });

  it('names a group of the wrong length', () => {
    const groups = encodeChallengeDigits(random32());
    groups[4] = groups[4]!.slice(1);
    const err = digitsError(groups.join(' '));
    expect(err.groups).toEqual([5]);
    expect(err.message).toBe('each group has 7 digits; wrong length in group 5 (6 digits)');
  });

  it('says how many digits it got when the grouping is lost', () => {
    const all = encodeChallengeDigits(random32()).join('');
    expect(digitsError(all.slice(1)).message).toBe('expected 13 groups of 7 digits (91 digits), got 90 digits');
    // 91 digits in any other split are read as 13 groups of 7.
    expect(hex(decodeChallengeDigits(`${all.slice(0, 40)} ${all.slice(40)}`))).toBe(hex(decodeChallengeDigits(all)));
  });

  it('rejects other characters and values of 2^256 or more', () => {
    expect(digitsError('1234567 abc').message).toMatch(/only digits/);
    const tooBig = (1n << 256n).toString().padStart(78, '0');
    const groups = Array.from({ length: 13 }, (_, i) => {
      const data = tooBig.slice(i * 6, i * 6 + 6);
      return data + dammCheckDigit(String(i + 1).padStart(2, '0') + data);
    });
    expect(digitsError(groups.join(' ')).message).toMatch(/out of range/);
  });
});

describe('parseChallenge', () => {
  it('reads a 43-digit entry as incomplete digit groups, not as base64url', () => {
    expect(() => parseChallenge(`${'1'.repeat(42)}0`)).toThrow('expected 13 groups of 7 digits (91 digits), got 43 digits');
  });
});
