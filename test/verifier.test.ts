// The verification rules on each store (a real SQLite file, a real
// PostgreSQL database), with codes from oathtool.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { hashPin, verifyPin } from '../src/auth/pin-hash.js';
import { openSecret, sealSecret } from '../src/auth/secret-box.js';
import { Lockout } from '../src/auth/lockout.js';
import { checkCode } from '../src/auth/totp.js';
import { Verifier } from '../src/auth/verifier.js';
import type { Algorithm } from '../src/config/settings.js';
import type { Store } from '../src/store/store.js';
import { SECRET, totp } from './helpers/site.js';
import { describeStores, type OpenStore } from './helpers/stores.js';
import { tempDir } from './helpers/temp.js';
import { insertUser } from './helpers/users.js';

async function setup(open: OpenStore, rules = { window: 1, hotpWindow: 5, lockoutFailures: 3, lockoutMinutes: 15 }) {
  const key = createMasterKey(join(tempDir('astotp-verifier-'), 'astotp.key')) as MasterKey;
  const store = await open();
  const verifier = new Verifier(store, key, rules);
  const add = async (id: string, pin: string | null, algorithm: Algorithm = 'SHA1', digits = 6) => {
    const pin_hash = pin === null ? null : await hashPin(key.pinPepper, id, pin);
    await store.exclusive((t) => insertUser(t, key, { id, pin_hash, algorithm, digits }));
  };
  return { store, key, verifier, add };
}

const ctx = { source: 'test', pbx: 'pbx1' };
const now = () => Math.floor(Date.now() / 1000);
const auditResults = (store: Store) => store.read(async (t) => (await t.audit.list()).map((e) => e.result));

describe('TOTP codes agree with oathtool', () => {
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    for (const digits of [6, 8]) {
      it(`${algorithm}, ${digits} digits, within one step either side only`, () => {
        const p = { secret: SECRET, algorithm, digits, period: 30 };
        const now = Math.floor(Date.now() / 1000);
        const at = (offset: number) => totp(SECRET, { offset, algorithm: algorithm.toLowerCase() as 'sha1', digits });
        // Pin "now" to the middle of a step so oathtool and we agree on which step is current.
        const mid = now - (now % 30) + 15;
        const shift = mid - now;
        expect(checkCode(p, at(shift), { window: 1, afterStep: null, now: mid }).valid).toBe(true);
        expect(checkCode(p, at(shift - 30), { window: 1, afterStep: null, now: mid }).valid).toBe(true);
        expect(checkCode(p, at(shift + 30), { window: 1, afterStep: null, now: mid }).valid).toBe(true);
        expect(checkCode(p, at(shift - 60), { window: 1, afterStep: null, now: mid }).valid).toBe(false);
        expect(checkCode(p, at(shift + 60), { window: 1, afterStep: null, now: mid }).valid).toBe(false);
        expect(checkCode(p, at(shift - 30), { window: 0, afterStep: null, now: mid }).valid).toBe(false);
      });
    }
  }

  it('treats malformed codes as wrong instead of throwing', () => {
    const p = { secret: SECRET, algorithm: 'SHA1' as const, digits: 6, period: 30 };
    for (const code of ['', '12345', '1234567', '12a456', '*12345'])
      expect(checkCode(p, code, { window: 1, afterStep: null }).valid).toBe(false);
  });
});

describeStores('the verifier', (open) => {
  it('accepts the right PIN and code once, then calls the same code a replay', async () => {
    const { verifier, add, store } = await setup(open);
    await add('1001', '4321');
    const code = totp();
    expect(await verifier.judge({ user: '1001', pin: '4321', code }, ctx)).toMatchObject({ ok: true, reason: 'ok' });
    expect(await verifier.judge({ user: '1001', pin: '4321', code }, ctx)).toMatchObject({
      ok: false,
      reason: 'bad-credentials',
      detail: 'replayed code (token app)',
    });
    expect(await auditResults(store)).toEqual(['SUCCESS', 'FAILURE']);
  });

  it('gives the same answer for a wrong PIN, a wrong code and an unknown user', async () => {
    const { verifier, add } = await setup(open);
    await add('1001', '4321');
    const answers = [
      await verifier.judge({ user: '1001', pin: '0000', code: totp() }, ctx),
      await verifier.judge({ user: '1001', pin: '4321', code: '000000' }, ctx),
      await verifier.judge({ user: '2002', pin: '4321', code: totp() }, ctx),
    ];
    expect(answers.map(({ ok, reason }) => [ok, reason])).toEqual(Array(3).fill([false, 'bad-credentials']));
    expect(answers.map((a) => a.detail)).toEqual(['wrong PIN', 'wrong code', 'unknown user']);
  });

  it('locks after the configured failures and refuses even right credentials until the lock ends', async () => {
    const { verifier, add, store } = await setup(open);
    await add('1001', '4321');
    for (let i = 0; i < 3; i++) await verifier.judge({ user: '1001', pin: '0000', code: totp() }, ctx);
    expect((await store.read((t) => t.users.get('1001')))?.locked_until).toBeGreaterThan(Date.now() / 1000);
    expect(await verifier.judge({ user: '1001', pin: '4321', code: totp() }, ctx)).toMatchObject({ ok: false, reason: 'locked' });
    expect(
      await store.exclusive((t) => new Lockout(t.userCounters, { lockoutFailures: 3, lockoutMinutes: 15 }).unlock('1001', now())),
    ).toBe(true);
    expect(await verifier.judge({ user: '1001', pin: '4321', code: totp() }, ctx)).toMatchObject({ ok: true });
  });

  it('refuses a disabled user and a user without a PIN when a PIN is asked', async () => {
    const { verifier, add, store } = await setup(open);
    await add('1001', '4321');
    await add('1002', null);
    await store.exclusive((t) => t.users.setEnabled('1001', false));
    expect(await verifier.judge({ user: '1001', pin: '4321', code: totp() }, ctx)).toMatchObject({ ok: false, detail: 'user disabled' });
    expect(await verifier.judge({ user: '1002', pin: '', code: totp() }, ctx)).toMatchObject({ ok: false, reason: 'bad-credentials' });
    expect(await verifier.judge({ user: '1002', pin: null, code: totp() }, ctx)).toMatchObject({ ok: true });
  });
});

describe('secrets and PINs at rest', () => {
  it('binds a sealed secret to its user and key', () => {
    const dir = tempDir('astotp-box-');
    const a = createMasterKey(join(dir, 'a.key')) as MasterKey;
    const b = createMasterKey(join(dir, 'b.key')) as MasterKey;
    const box = sealSecret(a.secretKey, '1001', SECRET);
    expect(box.includes(Buffer.from(SECRET))).toBe(false);
    expect(openSecret(a.secretKey, '1001', box)).toBe(SECRET);
    expect(openSecret(a.secretKey, '1002', box)).toBeNull();
    expect(openSecret(b.secretKey, '1001', box)).toBeNull();
  });

  it('hashes PINs with a salt and the key file pepper', async () => {
    const dir = tempDir('astotp-pin-');
    const a = createMasterKey(join(dir, 'a.key')) as MasterKey;
    const b = createMasterKey(join(dir, 'b.key')) as MasterKey;
    const h1 = await hashPin(a.pinPepper, '1001', '4321');
    expect(h1).not.toContain('4321');
    expect(h1).not.toBe(await hashPin(a.pinPepper, '1001', '4321'));
    expect(await verifyPin(a.pinPepper, '1001', '4321', h1)).toBe(true);
    expect(await verifyPin(a.pinPepper, '1001', '4322', h1)).toBe(false);
    expect(await verifyPin(b.pinPepper, '1001', '4321', h1)).toBe(false);
    expect(await verifyPin(a.pinPepper, '1001', '4321', null)).toBe(false);
    expect(await verifyPin(a.pinPepper, '1001', '4321', 'garbage')).toBe(false);
    // Bound to its user: copied onto another user's row it does not verify.
    expect(await verifyPin(a.pinPepper, '1002', '4321', h1)).toBe(false);
  });
});
