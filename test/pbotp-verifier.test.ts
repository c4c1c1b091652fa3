// The pbotp lockout rules on each store (a real SQLite file, a real
// PostgreSQL database): one check per challenge, failures counted per user
// ID, a lock that holds even for the right code.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { lockEnd } from '../src/auth/lockout.js';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { pbotpThrottleId, PbotpVerifier } from '../src/auth/pbotp-verifier.js';
import { startAttempt } from '../src/pbotp/attempt.js';
import { parsePublicKey } from '../src/pbotp/keys.js';
import { AUTHORITY_PUB, responseCode } from './helpers/pbotp-authority.js';
import { describeStores, type OpenStore } from './helpers/stores.js';
import { tempDir } from './helpers/temp.js';

const LOGIN = { group: 'dev', host: 'pbx1', user: '1001' };
const ctx = { source: 'test', pbx: 'pbx1' };

async function setup(open: OpenStore, rules = { lockoutFailures: 3, lockoutMinutes: 15 }) {
  const { idMask } = createMasterKey(join(tempDir('astotp-pbotp-'), 'astotp.key')) as MasterKey;
  const store = await open();
  const verifier = new PbotpVerifier(store, idMask, rules);
  const attempt = (user = '1001') => {
    const a = startAttempt(parsePublicKey(AUTHORITY_PUB), { ...LOGIN, user });
    return { a, code: responseCode([...a.digitGroups], { ...LOGIN, user }) };
  };
  return { store, verifier, attempt, throttleId: (user = '1001') => pbotpThrottleId(idMask, user) };
}

describeStores('PbotpVerifier', (open) => {
  it('accepts the right code once per challenge and audits it', async () => {
    const { store, verifier, attempt } = await setup(open);
    const { a, code } = attempt();
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: true, reason: 'ok' });
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: false, reason: 'bad-credentials' });
    expect((await store.read((t) => t.audit.list())).map((e) => [e.result, e.detail])).toEqual([
      ['SUCCESS', 'pbotp response ok'],
      ['FAILURE', 'pbotp wrong response'],
    ]);
  });

  it('locks a user ID after the set number of failures; the lock holds for the right code and uses the challenge up', async () => {
    const { store, verifier, attempt, throttleId } = await setup(open, { lockoutFailures: 2, lockoutMinutes: 15 });
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toBe('pbotp wrong response');
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toMatch(/now locked for 15 min/);
    expect(await verifier.refuseIfLocked('1001', ctx)).toMatchObject({ reason: 'locked' });
    expect(await verifier.refuseIfLocked('1002', ctx)).toBeNull();
    const { a, code } = attempt();
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: false, reason: 'locked' });
    expect(a.used).toBe(true);
    expect(await store.exclusive((t) => t.throttle.clear(throttleId(), Math.floor(Date.now() / 1000)))).toBe(true);
    const next = attempt();
    expect((await verifier.judge('1001', next.a, next.code, 9, ctx)).ok).toBe(true);
  });

  it('forgets failures after a success', async () => {
    const { store, verifier, attempt, throttleId } = await setup(open, { lockoutFailures: 2, lockoutMinutes: 15 });
    await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    const { a, code } = attempt();
    expect((await verifier.judge('1001', a, code, 9, ctx)).ok).toBe(true);
    expect(await store.read((t) => t.throttle.get(throttleId()))).toBeUndefined();
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toBe('pbotp wrong response');
  });

  it('counts pbotp failures under a keyed hash of the ID, with no users row needed', async () => {
    const { store, verifier, attempt, throttleId } = await setup(open, { lockoutFailures: 1, lockoutMinutes: 15 });
    await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    expect(await store.read((t) => t.throttle.get(throttleId()))).toMatchObject({ failures: 0 });
    expect(lockEnd(await store.read((t) => t.throttle.get(throttleId())), Math.floor(Date.now() / 1000))).not.toBeNull();
    expect(await store.read((t) => t.throttle.idsStartingWith(''))).toEqual([throttleId()]);
    expect(throttleId()).toMatch(/^pbotp-mac:[0-9a-f]{32}$/);
    expect(await store.read((t) => t.users.get('1001'))).toBeUndefined();
  });

  it('audits a failure under the masked ID and a success under the ID', async () => {
    const { store, verifier, attempt } = await setup(open);
    const wrong = await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    expect(wrong.label).toMatch(/^unknown:4d:[0-9a-f]{8}$/);
    const { a, code } = attempt();
    expect((await verifier.judge('1001', a, code, 9, ctx)).label).toBe('1001');
    expect((await store.read((t) => t.audit.list())).map((e) => e.user)).toEqual([wrong.label, '1001']);
  });

  it('honours failures and locks an earlier version stored under the typed ID, moving them under the hashed key', async () => {
    const { store, verifier, attempt, throttleId } = await setup(open, { lockoutFailures: 3, lockoutMinutes: 15 });
    const now = Math.floor(Date.now() / 1000);
    await store.exclusive(async (t) => {
      await t.throttle.put('pbotp:1001', { failures: 0, locked_until: now + 600 }, now);
      await t.throttle.put('pbotp:1002', { failures: 2, locked_until: null }, now);
    });
    expect(await verifier.refuseIfLocked('1001', ctx)).toMatchObject({ reason: 'locked' });
    expect(await store.read((t) => t.throttle.idsStartingWith('pbotp:'))).toEqual([]);
    expect(lockEnd(await store.read((t) => t.throttle.get(throttleId('1001'))), now)).toBe(now + 600);
    // Two failures carried over: the third locks.
    expect((await verifier.judge('1002', attempt('1002').a, '000000000', 9, ctx)).detail).toMatch(/now locked/);
  });
});
