// Recovery codes in the store, the same on SQLite and a real PostgreSQL: a
// new set replaces the old, a code is used once even when callers on several
// PBXs race for it, codes die with their user, and migrate's transfer copies
// them whole.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { shownTime } from '../src/auth/clock.js';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { newRecoveryCodes, recoveryHash, storeRecoveryCodes } from '../src/auth/recovery-code-rules.js';
import { appSerial } from '../src/auth/tokens.js';
import { Verifier } from '../src/auth/verifier.js';
import type { Store } from '../src/store/store.js';
import type { NewUser, StoreTx } from '../src/store/tables.js';
import { describeStores } from './helpers/stores.js';
import { tempDir } from './helpers/temp.js';
import { appTokenOf, insertUser } from './helpers/users.js';

const AT = 1_800_000_000;

const user = (id: string, over: Partial<NewUser> = {}): NewUser => ({ id, pin_hash: null, ...over });

const write = <T>(store: Store, fn: (t: StoreTx) => Promise<T>) => store.exclusive(fn);

describeStores('recovery codes in a store', (open, site) => {
  it('replaces a set whole, uses a code once, and counts what is left per user', async () => {
    const store = await open();
    await write(store, async (t) => {
      await t.users.insert(user('1001'));
      await t.users.insert(user('1002'));
      await t.recoveryCodes.replace('1001', ['a', 'b', 'c'], AT);
      await t.recoveryCodes.replace('1002', ['a'], AT);
    });
    expect(await write(store, (t) => t.recoveryCodes.use('1001', 'a', AT + 1))).toBe(true);
    expect(await write(store, (t) => t.recoveryCodes.use('1001', 'a', AT + 2))).toBe(false);
    expect(await write(store, (t) => t.recoveryCodes.use('1001', 'x', AT + 2))).toBe(false);
    expect(
      await store.read(async (t) => [
        await t.recoveryCodes.usedAt('1001', 'a'),
        await t.recoveryCodes.usedAt('1001', 'b'),
        await t.recoveryCodes.usedAt('1001', 'x'),
      ]),
    ).toEqual([AT + 1, null, undefined]);
    // 1002's code of the same hash is its own.
    expect(await store.read((t) => t.recoveryCodes.usedAt('1002', 'a'))).toBeNull();
    expect(await store.read((t) => t.recoveryCodes.left())).toEqual(
      new Map([
        ['1001', 2],
        ['1002', 1],
      ]),
    );
    expect(await store.read((t) => t.recoveryCodes.left(['1002', '1003']))).toEqual(new Map([['1002', 1]]));

    await write(store, (t) => t.recoveryCodes.replace('1001', ['d', 'e'], AT + 3));
    expect(
      await store.read(async (t) => [
        await t.recoveryCodes.usedAt('1001', 'a'),
        await t.recoveryCodes.usedAt('1001', 'b'),
        await t.recoveryCodes.usedAt('1001', 'd'),
      ]),
    ).toEqual([undefined, undefined, null]);
    await write(store, (t) => t.recoveryCodes.replace('1001', [], AT + 4));
    expect(await store.read((t) => t.recoveryCodes.left())).toEqual(new Map([['1002', 1]]));
  });

  it('removes a user’s codes with the user, and rolls a new set back with its transaction', async () => {
    const store = await open();
    await write(store, async (t) => {
      await t.users.insert(user('1001'));
      await t.recoveryCodes.replace('1001', ['a'], AT);
    });
    await expect(
      write(store, async (t) => {
        await t.recoveryCodes.replace('1001', ['b'], AT);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.read((t) => t.recoveryCodes.usedAt('1001', 'a'))).toBeNull();
    await write(store, (t) => t.users.remove('1001'));
    await write(store, (t) => t.users.insert(user('1001')));
    expect(await store.read(async (t) => [await t.recoveryCodes.usedAt('1001', 'a'), (await t.recoveryCodes.left()).size])).toEqual([
      undefined,
      0,
    ]);
  });

  it("keeps the tokens' replay marks when a login used no code of theirs", async () => {
    const store = await open();
    const key = createMasterKey(join(tempDir('astotp-recovery-'), 'astotp.key')) as MasterKey;
    await write(store, async (t) => {
      await insertUser(t, key, user('1001'));
      expect(await t.tokens.use(appSerial('1001'), { step: AT / 30, drift: 0 }, AT)).toBe(true);
      await t.users.recordLogin('1001', AT + 60);
    });
    expect(await store.read((t) => t.users.get('1001'))).toMatchObject({ last_success: AT + 60 });
    expect(await appTokenOf(store, '1001')).toMatchObject({ last_step: AT / 30, last_used: AT });
  });

  it('lets exactly one of 20 callers on three PBXs in with the same recovery code', async () => {
    const first = await open({ poolSize: 10 });
    const stores = [first, ...(await Promise.all([1, 2].map(() => open({ at: site.location(first), poolSize: 10 }))))];
    const key = createMasterKey(join(tempDir('astotp-recovery-'), 'astotp.key')) as MasterKey;
    const codes = newRecoveryCodes(5);
    await write(first, async (t) => {
      await insertUser(t, key, user('1001'));
      await storeRecoveryCodes(t, key.recoveryPepper, '1001', codes, AT);
    });
    const rules = { window: 1, hotpWindow: 5, lockoutFailures: 100, lockoutMinutes: 15 };
    const verifiers = stores.map((s) => new Verifier(s, key, rules, () => AT));
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        verifiers[i % 3]!.judge({ user: '1001', pin: null, code: `*${codes[2]}` }, { source: 'test', pbx: `pbx${(i % 3) + 1}` }),
      ),
    );
    expect(verdicts.filter((v) => v.ok).map((v) => v.detail)).toEqual(['recovery code ok (4 left, PIN not asked)']);
    expect(verdicts.filter((v) => !v.ok).map((v) => v.detail)).toEqual(Array(19).fill(`recovery code used ${shownTime(AT)}`));
    expect(await stores[2]!.read((t) => t.users.get('1001'))).toMatchObject({ failures: 19, last_success: AT });
    expect(await appTokenOf(stores[2]!, '1001')).toMatchObject({ last_step: null });
    // Stored as the HMAC keyed by the key file, never as the code.
    const rows = await first.read((t) => t.transfer.recoveryCodes());
    expect(rows.map((r) => r.hash).sort()).toEqual(codes.map((c) => recoveryHash(key.recoveryPepper, '1001', c)).sort());
    expect(JSON.stringify(rows)).not.toContain(codes[0]);
  });

  it('copies codes whole for migrate, counts them, and clears them with the users', async () => {
    const from = await open();
    const to = await open();
    await write(from, async (t) => {
      await t.users.insert(user('1001'));
      await t.recoveryCodes.replace('1001', ['a', 'b'], AT);
      await t.recoveryCodes.use('1001', 'a', AT + 5);
    });
    const rows = await from.read((t) => t.transfer.recoveryCodes());
    expect(rows).toEqual([
      { user_id: '1001', hash: 'a', used_at: AT + 5, created_at: AT },
      { user_id: '1001', hash: 'b', used_at: null, created_at: AT },
    ]);
    await write(to, async (t) => {
      await t.transfer.putUsers(await from.read((s) => s.transfer.users()));
      await t.transfer.putRecoveryCodes(rows);
    });
    expect(await to.read((t) => t.transfer.recoveryCodes())).toEqual(rows);
    expect(await to.read((t) => t.transfer.counts())).toEqual({
      users: 1,
      tokens: 0,
      recovery_codes: 2,
      throttle: 0,
      audit: 0,
      invitations: 0,
      roles: 0,
      api_tokens: 0,
    });
    await write(to, (t) => t.transfer.clear());
    expect(await to.read((t) => t.transfer.counts())).toEqual({
      users: 0,
      tokens: 0,
      recovery_codes: 0,
      throttle: 0,
      audit: 0,
      invitations: 0,
      roles: 0,
      api_tokens: 0,
    });
  });
});
