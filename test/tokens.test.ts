// The token rules on their own: RFC 4226's HOTP test vectors, the HOTP
// look-ahead and its edges, a TOTP fob's drift, and resynchronisation from
// two consecutive codes; TOTP fobs with 60 s steps against oathtool.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findCounter, hotp } from '../src/auth/hotp.js';
import { checkTokenCode, HOTP_RESYNC_WINDOW, resyncPosition, TOTP_DRIFT_LIMIT_SECONDS } from '../src/auth/tokens.js';
import type { TokenRow } from '../src/store/tables.js';
import { base32Bytes, base32Text } from '../src/totp/base32.js';

/** RFC 4226 Appendix D: the secret "12345678901234567890" and its first ten HOTP values. */
const RFC_SECRET = Buffer.from('12345678901234567890');
const RFC_VALUES = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
const RULES = { window: 1, hotpWindow: 5 };
const B32 = base32Text(RFC_SECRET);

function token(over: Partial<TokenRow>): TokenRow {
  return {
    serial: 'FOB-1',
    kind: 'hotp',
    user_id: '1001',
    secret_box: Buffer.alloc(0),
    algorithm: 'SHA1',
    digits: 6,
    period: null,
    counter: 0,
    last_step: null,
    drift: 0,
    enabled: 1,
    last_used: null,
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}

/** oathtool's TOTP code for second `at`: an implementation independent of ours. */
function oathTotp(at: number, opts: { step?: number; digits?: number; algorithm?: string } = {}): string {
  const args = [`--totp=${opts.algorithm ?? 'sha1'}`, `--time-step-size=${opts.step ?? 30}s`, '-d', String(opts.digits ?? 6)];
  return execFileSync('oathtool', [...args, '-N', `@${at}`, RFC_SECRET.toString('hex')], { encoding: 'utf8' }).trim();
}

const oathHotp = (counter: number, digits = 6) =>
  execFileSync('oathtool', ['--hotp', '-d', String(digits), '-c', String(counter), RFC_SECRET.toString('hex')], {
    encoding: 'utf8',
  }).trim();

describe('HOTP (RFC 4226)', () => {
  it('gives the values of Appendix D', () => {
    const k = { key: RFC_SECRET, algorithm: 'SHA1' as const, digits: 6 };
    expect(RFC_VALUES.map((_, c) => hotp(k, c))).toEqual(RFC_VALUES);
    expect(findCounter(k, RFC_VALUES[7]!, 3, 5)).toBe(7);
    expect(findCounter(k, RFC_VALUES[7]!, 3, 4)).toBeNull();
    expect(findCounter(k, '12345', 0, 10)).toBeNull();
  });

  it('agrees with oathtool on 8 digits and large counters', () => {
    const k = { key: RFC_SECRET, algorithm: 'SHA1' as const, digits: 8 };
    for (const c of [0, 1, 99, 2 ** 32 + 5]) expect(hotp(k, c)).toBe(oathHotp(c, 8));
  });

  it('keeps the secret bytes through base32', () => {
    expect(base32Bytes(B32).equals(RFC_SECRET)).toBe(true);
    expect(B32).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});

describe('an HOTP fob', () => {
  const fob = (counter: number) => token({ counter });

  it('takes a code within hotp_window values of its counter and moves past it', () => {
    expect(checkTokenCode(fob(3), B32, RFC_VALUES[3]!, RULES, 0)).toEqual({ ok: true, to: { counter: 4 } });
    // The last value of the look-ahead: counter + hotp_window - 1.
    expect(checkTokenCode(fob(3), B32, RFC_VALUES[7]!, RULES, 0)).toEqual({ ok: true, to: { counter: 8 } });
  });

  it('refuses a code just outside the look-ahead, telling the admin how far ahead it is', () => {
    expect(checkTokenCode(fob(3), B32, RFC_VALUES[8]!, RULES, 0)).toEqual({
      ok: false,
      replayed: false,
      note: 'code 6 presses ahead, beyond hotp_window 5 (astotp token resync)',
    });
  });

  it('calls a code behind its counter a replay', () => {
    expect(checkTokenCode(fob(4), B32, RFC_VALUES[3]!, RULES, 0)).toEqual({ ok: false, replayed: true, note: null });
    expect(checkTokenCode(fob(4), B32, RFC_VALUES[0]!, RULES, 0)).toEqual({ ok: false, replayed: true, note: null });
  });

  it('is resynchronised by two consecutive codes far ahead, and not by codes that are not consecutive', () => {
    const k = { key: RFC_SECRET, algorithm: 'SHA1' as const, digits: 6 };
    const at = (c: number) => hotp(k, c);
    expect(resyncPosition(fob(3), B32, at(500), at(501), 0)).toEqual({ counter: 502 });
    // The last pair the resync window holds, and the first it does not.
    expect(resyncPosition(fob(3), B32, at(3 + HOTP_RESYNC_WINDOW - 1), at(3 + HOTP_RESYNC_WINDOW), 0)).toEqual({
      counter: 3 + HOTP_RESYNC_WINDOW + 1,
    });
    expect(resyncPosition(fob(3), B32, at(3 + HOTP_RESYNC_WINDOW), at(3 + HOTP_RESYNC_WINDOW + 1), 0)).toBeNull();
    expect(resyncPosition(fob(3), B32, at(500), at(502), 0)).toBeNull();
    expect(resyncPosition(fob(3), B32, at(501), at(500), 0)).toBeNull();
    // Codes already used (behind the counter) resynchronise nothing.
    expect(resyncPosition(fob(600), B32, at(500), at(501), 0)).toBeNull();
  });
});

describe('a TOTP fob', () => {
  // Mid-step, so that oathtool and we agree on the step.
  const NOW = 1_800_000_000 + 15;

  it('with 60 s steps, 8 digits and SHA256 takes the codes oathtool --time-step-size=60s makes, one step either side', () => {
    const fob = token({ kind: 'totp', counter: null, period: 60, digits: 8, algorithm: 'SHA256' });
    const code = (offset: number) => oathTotp(NOW + offset, { step: 60, digits: 8, algorithm: 'sha256' });
    const step = Math.floor(NOW / 60);
    expect(checkTokenCode(fob, B32, code(0), RULES, NOW)).toEqual({ ok: true, to: { step, drift: 0 } });
    expect(checkTokenCode(fob, B32, code(-60), RULES, NOW)).toEqual({ ok: true, to: { step: step - 1, drift: -1 } });
    expect(checkTokenCode(fob, B32, code(60), RULES, NOW)).toEqual({ ok: true, to: { step: step + 1, drift: 1 } });
    expect(checkTokenCode(fob, B32, code(120), RULES, NOW)).toMatchObject({
      ok: false,
      note: expect.stringMatching(/^code off by 2 steps \(120 s ahead/),
    });
  });

  it('follows its drift: the window is centred where its clock is', () => {
    // A fob 10 minutes fast, learned earlier: its current code is 10 steps ahead of this clock.
    const fob = token({ kind: 'totp', counter: null, period: 60, drift: 10 });
    const step = Math.floor(NOW / 60);
    const ahead = oathTotp(NOW + 600, { step: 60 });
    expect(checkTokenCode(fob, B32, ahead, RULES, NOW)).toEqual({ ok: true, to: { step: step + 10, drift: 10 } });
    expect(checkTokenCode(fob, B32, oathTotp(NOW + 660, { step: 60 }), RULES, NOW)).toEqual({
      ok: true,
      to: { step: step + 11, drift: 11 },
    });
    // The code of this PBX's own step is now 10 steps behind the fob's window.
    expect(checkTokenCode(fob, B32, oathTotp(NOW, { step: 60 }), RULES, NOW)).toMatchObject({ ok: false });
    // A phone's clock is the network's: an app token's drift is left as it is.
    const app = token({ kind: 'app', counter: null, period: 60 });
    expect(checkTokenCode(app, B32, oathTotp(NOW + 60, { step: 60 }), RULES, NOW)).toEqual({ ok: true, to: { step: step + 1, drift: 0 } });
  });

  it('is resynchronised within its drift limit by two consecutive codes, after its last used step only', () => {
    const fob = token({ kind: 'totp', counter: null, period: 30 });
    const here = Math.floor(NOW / 30);
    const code = (steps: number) => oathTotp(NOW + steps * 30);
    expect(resyncPosition(fob, B32, code(-200), code(-199), NOW)).toEqual({ step: here - 199, drift: -199 });
    const limit = TOTP_DRIFT_LIMIT_SECONDS / 30;
    expect(resyncPosition(fob, B32, code(limit - 1), code(limit), NOW)).toEqual({ step: here + limit, drift: limit });
    expect(resyncPosition(fob, B32, code(limit + 1), code(limit + 2), NOW)).toBeNull();
    expect(resyncPosition(fob, B32, code(5), code(7), NOW)).toBeNull();
    expect(resyncPosition({ ...fob, last_step: here - 150 }, B32, code(-200), code(-199), NOW)).toBeNull();
  });
});
