// Guessing bounded for good: failures with the right PIN are counted in a
// row, escalate each further lock and, at lockout_max_failures, lock the
// user until an admin unlocks it. A stranger's wrong PINs never reach that
// count, so they cause only the temporary lock. On each store, with the
// clock injected.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { afterFailure, HARD_LOCK_UNTIL, Lockout, lockMinutes } from '../src/auth/lockout.js';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { Verifier } from '../src/auth/verifier.js';
import type { Store } from '../src/store/store.js';
import { totpAt, wrongAt } from './helpers/site.js';
import { describeStores, type OpenStore } from './helpers/stores.js';
import { enrollInStore } from './helpers/users.js';
import { tempDir } from './helpers/temp.js';

const T0 = 1_800_000_000;
const RULES = { window: 1, hotpWindow: 5, lockoutFailures: 3, lockoutMinutes: 15, lockoutMaxMinutes: 120, lockoutMaxFailures: 12 };
const ctx = { source: 'test', pbx: 'pbx1' };

async function site(open: OpenStore, pin: string | null = '4321') {
  const key = createMasterKey(join(tempDir('astotp-forgood-'), 'astotp.key')) as MasterKey;
  const store: Store = await open();
  const clock = { t: T0 };
  const verifier = new Verifier(store, key, RULES, () => clock.t);
  await enrollInStore(store, key, '1001', pin);
  const attempt = (p: string | null, code = wrongAt(clock.t)) => verifier.judge({ user: '1001', pin: p, code }, ctx);
  const user = async () => (await store.read((t) => t.users.get('1001')))!;
  /** Waits out a running lock, as a patient guesser does. */
  const waitOut = async () => {
    const u = await user();
    if (u.locked_until !== null && u.locked_until > clock.t) clock.t = u.locked_until + 31;
  };
  return { store, clock, attempt, user, waitOut };
}

describe('the lock a failure starts', () => {
  it('doubles within a right-PIN streak up to lockout_max_minutes, and stays plain without one', () => {
    expect([0, 1, 2, 3, 4, 9].map((l) => lockMinutes(l, RULES))).toEqual([15, 30, 60, 120, 120, 120]);
    // The failure that reaches lockout_failures: with a streak it escalates, without one it does not.
    const c = { failures: 2, locked_until: null, pin_streak: 4, lock_level: 2 };
    expect(afterFailure(c, T0, RULES, false)).toEqual({ failures: 0, locked_until: T0 + 60 * 60, pin_streak: 4, lock_level: 3 });
    expect(afterFailure({ ...c, pin_streak: 0, lock_level: 0 }, T0, RULES, false)).toEqual({
      failures: 0,
      locked_until: T0 + 15 * 60,
      pin_streak: 0,
      lock_level: 0,
    });
    expect(afterFailure({ ...c, pin_streak: 11 }, T0, RULES, true)).toMatchObject({ locked_until: HARD_LOCK_UNTIL, pin_streak: 12 });
    // Counters that hold no streak (pbotp, client addresses) never escalate or lock for good.
    expect(afterFailure({ failures: 2, locked_until: null }, T0, { lockoutFailures: 3, lockoutMinutes: 15 })).toEqual({
      failures: 0,
      locked_until: T0 + 15 * 60,
    });
  });
});

describeStores('guessing bounded for good, with the clock injected', (open) => {
  it('escalates the locks of a guesser who knows the PIN and locks the user for good at lockout_max_failures', async () => {
    const { clock, attempt, user, waitOut } = await site(open);
    const locks: string[] = [];
    for (let i = 1; i <= 12; i++) {
      await waitOut();
      const v = await attempt('4321');
      if (/now locked/.test(v.detail)) locks.push(v.detail.replace(/^wrong code; /, ''));
    }
    expect(locks).toEqual([
      'now locked for 15 min (lock 1 of a streak of 3 failures with the right PIN since the last login)',
      'now locked for 30 min (lock 2 of a streak of 6 failures with the right PIN since the last login)',
      'now locked for 60 min (lock 3 of a streak of 9 failures with the right PIN since the last login)',
      '12 failures with the right PIN in a row: now locked until an admin unlocks it',
    ]);
    expect(await user()).toMatchObject({ locked_until: HARD_LOCK_UNTIL, pin_streak: 12, lock_level: 3 });
    // Years later, the right PIN and code still meet the lock, and are not counted.
    clock.t = T0 + 10 * 365 * 86_400;
    expect(await attempt('4321', totpAt(clock.t))).toMatchObject({
      ok: false,
      reason: 'locked',
      detail: 'locked until an admin unlocks it',
    });
  });

  it("never reaches it for a stranger's wrong PINs: only the temporary lock, never escalated", async () => {
    const { attempt, user, waitOut } = await site(open);
    for (let i = 0; i < 40; i++) {
      await waitOut();
      const v = await attempt('0000');
      if (/now locked/.test(v.detail)) expect(v.detail).toBe('wrong PIN, wrong code; now locked for 15 min');
    }
    expect(await user()).toMatchObject({ pin_streak: 0, lock_level: 0 });
  });

  it('tells of each lock, the streak and the lock for good, and of a login after them, in the verdicts', async () => {
    const { attempt, waitOut } = await site(open);
    const kinds: string[][] = [];
    for (let i = 0; i < 12; i++) {
      await waitOut();
      kinds.push(((await attempt('4321')).events ?? []).map((e) => `${e.kind}${e.count === undefined ? '' : `:${e.count}`}`));
    }
    expect(kinds[0]).toEqual(['pin-streak:1']);
    expect(kinds[2]).toEqual(['pin-streak:3', 'lock']);
    expect(kinds[11]).toEqual(['pin-streak:12', 'hard-lock:12']);
    // A stranger's wrong PIN: no event but the lock it may start.
    const other = await site(open);
    expect((await other.attempt('0000')).events).toBeUndefined();
    await other.attempt('4321');
    await other.attempt('4321');
    await other.waitOut();
    await other.attempt('4321');
    await other.waitOut();
    const login = await other.attempt('4321', totpAt(other.clock.t));
    expect(login.events?.map((e) => e.kind)).toEqual(['login-after-failures']);
  });

  it('keeps the streak across a wrong PIN; only a login resets it', async () => {
    const { clock, attempt, user, waitOut } = await site(open);
    await attempt('4321');
    await attempt('0000');
    await waitOut();
    await attempt('4321');
    expect((await user()).pin_streak).toBe(2);
    await waitOut();
    expect(await attempt('4321', totpAt(clock.t))).toMatchObject({ ok: true });
    expect(await user()).toMatchObject({ pin_streak: 0, lock_level: 0, failures: 0 });
  });

  it('does not count attempts that ask no PIN, nor users who have none', async () => {
    const noPinAsked = await site(open);
    for (let i = 0; i < 20; i++) {
      await noPinAsked.waitOut();
      await noPinAsked.attempt(null);
    }
    expect(await noPinAsked.user()).toMatchObject({ pin_streak: 0, lock_level: 0 });
    const noPin = await site(open, null);
    for (let i = 0; i < 20; i++) {
      await noPin.waitOut();
      await noPin.attempt('4321');
    }
    expect(await noPin.user()).toMatchObject({ pin_streak: 0, lock_level: 0 });
  });

  it('is ended by an unlock, streak and level with it', async () => {
    const { store, clock, attempt, user, waitOut } = await site(open);
    for (let i = 0; i < 12; i++) {
      await waitOut();
      await attempt('4321');
    }
    await store.exclusive((t) => new Lockout(t.userCounters, RULES).unlock('1001', clock.t));
    expect(await user()).toMatchObject({ locked_until: null, pin_streak: 0, lock_level: 0, failures: 0 });
    expect(await attempt('4321', totpAt(clock.t))).toMatchObject({ ok: true });
  });
});
