// The pbotp lockout rules on a real SQLite file: one check per challenge,
// failures counted per user ID, a lock that holds even for the right code.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pbotpThrottleId, PbotpVerifier } from '../src/auth/pbotp-verifier.js';
import { startAttempt } from '../src/pbotp/attempt.js';
import { parsePublicKey } from '../src/pbotp/keys.js';
import { Store } from '../src/store/store.js';
import { AUTHORITY_PUB, responseCode } from './helpers/pbotp-authority.js';

const LOGIN = { group: 'dev', host: 'pbx1', user: '1001' };
const ctx = { source: 'test' };

function setup(rules = { lockoutFailures: 3, lockoutMinutes: 15 }) {
  const store = Store.open(join(mkdtempSync(join(tmpdir(), 'astotp-pbotp-')), 'astotp.sqlite3'), { create: true });
  const verifier = new PbotpVerifier(store, rules);
  const attempt = (user = '1001') => {
    const a = startAttempt(parsePublicKey(AUTHORITY_PUB), { ...LOGIN, user });
    return { a, code: responseCode([...a.digitGroups], { ...LOGIN, user }) };
  };
  return { store, verifier, attempt };
}

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
    const { store, verifier, attempt } = setup({ lockoutFailures: 2, lockoutMinutes: 15 });
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toBe('pbotp wrong response');
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toMatch(/now locked for 15 min/);
    expect(await verifier.refuseIfLocked('1001', ctx)).toMatchObject({ reason: 'locked' });
    expect(await verifier.refuseIfLocked('1002', ctx)).toBeNull();
    const { a, code } = attempt();
    expect(await verifier.judge('1001', a, code, 9, ctx)).toMatchObject({ ok: false, reason: 'locked' });
    expect(a.used).toBe(true);
    expect(store.throttle.clear(pbotpThrottleId('1001'))).toBe(true);
    const next = attempt();
    expect((await verifier.judge('1001', next.a, next.code, 9, ctx)).ok).toBe(true);
  });

  it('forgets failures after a success', async () => {
    const { store, verifier, attempt } = setup({ lockoutFailures: 2, lockoutMinutes: 15 });
    await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    const { a, code } = attempt();
    expect((await verifier.judge('1001', a, code, 9, ctx)).ok).toBe(true);
    expect(store.throttle.get(pbotpThrottleId('1001'))).toBeUndefined();
    expect((await verifier.judge('1001', attempt().a, '000000000', 9, ctx)).detail).toBe('pbotp wrong response');
  });

  it('counts pbotp failures under a namespaced ID, with no users row needed', async () => {
    const { store, verifier, attempt } = setup({ lockoutFailures: 1, lockoutMinutes: 15 });
    await verifier.judge('1001', attempt().a, '000000000', 9, ctx);
    expect(store.throttle.get('pbotp:1001')).toMatchObject({ failures: 0 });
    expect(store.throttle.lockedUntil('pbotp:1001', Math.floor(Date.now() / 1000))).not.toBeNull();
    expect(store.users.get('1001')).toBeUndefined();
  });
});
