// The pbotp lockout rules on a real SQLite file: one check per challenge,
// failures counted per user ID, a lock that holds even for the right code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockEnd } from '../src/auth/lockout.js';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { pbotpThrottleId, PbotpVerifier } from '../src/auth/pbotp-verifier.js';
import { startAttempt } from '../src/pbotp/attempt.js';
import { parsePublicKey } from '../src/pbotp/keys.js';
import { Store } from '../src/store/store.js';
import { AUTHORITY_PUB, responseCode } from './helpers/pbotp-authority.js';

const LOGIN = { group: 'dev', host: 'pbx1', user: '1001' };
const ctx = { source: 'test' };

function setup(rules = { lockoutFailures: 3, lockoutMinutes: 15 }) {
  const dir = mkdtempSync(join(tmpdir(), 'astotp-pbotp-'));
  dirs.push(dir);
  const { idMask } = createMasterKey(join(dir, 'astotp.key')) as MasterKey;
  const store = Store.open(join(dir, 'astotp.sqlite3'), { create: true });
  stores.push(store);
  const verifier = new PbotpVerifier(store, idMask, rules);
  const attempt = (user = '1001') => {
    const a = startAttempt(parsePublicKey(AUTHORITY_PUB), { ...LOGIN, user });
    return { a, code: responseCode([...a.digitGroups], { ...LOGIN, user }) };
  };
  return { store, verifier, attempt, throttleId: (user = '1001') => pbotpThrottleId(idMask, user) };
}

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('PbotpVerifier', () => {
  it('accepts the right code once per challenge and audits it', async () => {
    const { store, verifier, attempt } = setup();
    const { a, code } = attempt();
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: true, reason: 'ok' });
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: false, reason: 'bad-credentials' });
    expect(store.audit.list().map((e) => [e.result, e.detail])).toEqual([
      ['SUCCESS', 'pbotp response ok'],
      ['FAILURE', 'pbotp wrong response'],
    ]);
  });

  it('locks a user ID after the set number of failures; the lock holds for the right code and uses the challenge up', async () => {
    const { store, verifier, attempt, throttleId } = setup({ lockoutFailures: 2, lockoutMinutes: 15 });
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toBe('pbotp wrong response');
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toMatch(/now locked for 15 min/);
    expect(await verifier.refuseIfLocked('1001', ctx)).toMatchObject({ reason: 'locked' });
    expect(await verifier.refuseIfLocked('1002', ctx)).toBeNull();
    const { a, code } = attempt();
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: false, reason: 'locked' });
    expect(a.used).toBe(true);
    expect(store.throttle.clear(throttleId())).toBe(true);
    const next = attempt();
    expect((await verifier.judge('1001', next.a, next.code, 9, ctx)).ok).toBe(true);
  });

  it('forgets failures after a success', async () => {
    const { store, verifier, attempt, throttleId } = setup({ lockoutFailures: 2, lockoutMinutes: 15 });
    await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    const { a, code } = attempt();
    expect((await verifier.judge('1001', a, code, 9, ctx)).ok).toBe(true);
    expect(store.throttle.get(throttleId())).toBeUndefined();
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toBe('pbotp wrong response');
  });

  it('counts pbotp failures under a keyed hash of the ID, with no users row needed', async () => {
    const { store, verifier, attempt, throttleId } = setup({ lockoutFailures: 1, lockoutMinutes: 15 });
    await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    expect(store.throttle.get(throttleId())).toMatchObject({ failures: 0 });
    expect(lockEnd(store.throttle.get(throttleId()), Math.floor(Date.now() / 1000))).not.toBeNull();
    expect(store.throttle.idsStartingWith('')).toEqual([throttleId()]);
    expect(throttleId()).toMatch(/^pbotp-mac:[0-9a-f]{32}$/);
    expect(store.users.get('1001')).toBeUndefined();
  });

  it('audits a failure under the masked ID and a success under the ID', async () => {
    const { store, verifier, attempt } = setup();
    const wrong = await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    expect(wrong.label).toMatch(/^unknown:4d:[0-9a-f]{8}$/);
    const { a, code } = attempt();
    expect((await verifier.judge('1001', a, code, 9, ctx)).label).toBe('1001');
    expect(store.audit.list().map((e) => e.user)).toEqual([wrong.label, '1001']);
  });

  it('honours failures and locks an earlier version stored under the typed ID, moving them under the hashed key', async () => {
    const { store, verifier, attempt, throttleId } = setup({ lockoutFailures: 3, lockoutMinutes: 15 });
    const now = Math.floor(Date.now() / 1000);
    store.db.prepare('INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)').run('pbotp:1001', 0, now + 600, now);
    store.db.prepare('INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)').run('pbotp:1002', 2, null, now);
    expect(await verifier.refuseIfLocked('1001', ctx)).toMatchObject({ reason: 'locked' });
    expect(store.throttle.idsStartingWith('pbotp:')).toEqual([]);
    expect(lockEnd(store.throttle.get(throttleId('1001')), now)).toBe(now + 600);
    // Two failures carried over: the third locks.
    expect((await verifier.judge('1002', attempt('1002').a, '000000000', 9, ctx)).detail).toMatch(/now locked/);
  });
});
