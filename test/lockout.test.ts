// The lockout and replay rules against the clock: a Verifier and a
// PbotpVerifier on each store (a real SQLite file, a real PostgreSQL
// database), with time injected instead of waited for, and codes from
// oathtool at those times; then a whole call on SQLite.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockEnd } from '../src/auth/lockout.js';
import { openAuth } from '../src/auth/open-auth.js';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { PbotpVerifier, pbotpThrottleId } from '../src/auth/pbotp-verifier.js';
import { Verifier } from '../src/auth/verifier.js';
import type { CallChannel } from '../src/call/channel.js';
import { runCall } from '../src/call/run-call.js';
import { defaults } from '../src/config/settings.js';
import { startAttempt } from '../src/pbotp/attempt.js';
import { parsePublicKey } from '../src/pbotp/keys.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { AUTHORITY_PUB, responseCode } from './helpers/pbotp-authority.js';
import { totpAt, wrongAt } from './helpers/site.js';
import { describeStores, type OpenStore } from './helpers/stores.js';
import { tempDir } from './helpers/temp.js';
import { appTokenOf, enrollInStore } from './helpers/users.js';

/** A step boundary: 1_800_000_000 = 60_000_000 × 30. */
const T0 = 1_800_000_000;
const RULES = { window: 1, hotpWindow: 5, lockoutFailures: 3, lockoutMinutes: 15 };
const LOCK = RULES.lockoutMinutes * 60;
const ctx = { source: 'test', pbx: 'pbx1' };

/** One user, 1001, PIN 4321, enrolled with SECRET. */
const enroll = (store: Store, key: MasterKey) => enrollInStore(store, key, '1001', '4321');

async function site(open: OpenStore, rules = RULES) {
  const key = createMasterKey(join(tempDir('astotp-lockout-'), 'astotp.key')) as MasterKey;
  const store = await open();
  const clock = { t: T0 };
  const verifier = new Verifier(store, key, rules, () => clock.t);
  await enroll(store, key);
  const right = () => verifier.judge({ user: '1001', pin: '4321', code: totpAt(clock.t) }, ctx);
  const wrong = () => verifier.judge({ user: '1001', pin: '4321', code: wrongAt(clock.t) }, ctx);
  const user = () => store.read((t) => t.users.get('1001'));
  const app = () => appTokenOf(store, '1001');
  return { store, key, clock, verifier, right, wrong, user, app };
}

describeStores('a lock, with the clock injected', (open) => {
  it('expires by itself after lockout_minutes; until then even right credentials are refused', async () => {
    const { clock, right, wrong } = await site(open);
    for (let i = 0; i < 2; i++) expect(await wrong()).toMatchObject({ reason: 'bad-credentials', detail: 'wrong code' });
    expect(await wrong()).toMatchObject({ reason: 'bad-credentials', detail: 'wrong code; now locked for 15 min' });
    clock.t = T0 + LOCK - 31;
    expect(await right()).toMatchObject({ ok: false, reason: 'locked' });
    clock.t = T0 + LOCK + 31;
    expect(await right()).toMatchObject({ ok: true, reason: 'ok' });
  });

  it('is over in the second locked_until names, and held in the second before it', async () => {
    const { clock, right, wrong, user } = await site(open);
    for (let i = 0; i < 3; i++) await wrong();
    expect((await user())?.locked_until).toBe(T0 + LOCK);
    clock.t = T0 + LOCK - 1;
    expect(await right()).toMatchObject({
      ok: false,
      reason: 'locked',
      detail: `locked until ${new Date((T0 + LOCK) * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    });
    clock.t = T0 + LOCK;
    expect(await right()).toMatchObject({ ok: true });
  });

  it('leaves no failures behind when it runs out: the next lock takes lockout_failures new ones', async () => {
    const { clock, wrong, user } = await site(open);
    for (let i = 0; i < 3; i++) await wrong();
    // Attempts during the lock are refused without being counted.
    clock.t = T0 + 60;
    expect(await wrong()).toMatchObject({ reason: 'locked' });
    clock.t = T0 + LOCK + 60;
    expect(await user()).toMatchObject({ failures: 0, locked_until: T0 + LOCK });
    expect(await wrong()).toMatchObject({ detail: 'wrong code' });
    expect((await user())?.failures).toBe(1);
    expect(await wrong()).toMatchObject({ detail: 'wrong code' });
    expect(await wrong()).toMatchObject({ detail: 'wrong code; now locked for 15 min' });
    expect(await user()).toMatchObject({ failures: 0, locked_until: T0 + 2 * LOCK + 60 });
  });

  it('of a pbotp login expires by itself as well', async () => {
    const { store, key, clock } = await site(open);
    const pbotp = new PbotpVerifier(store, key.idMask, RULES, () => clock.t);
    const login = { group: 'dev', host: 'pbx1', user: '1001' };
    const attempt = () => startAttempt(parsePublicKey(AUTHORITY_PUB), login);
    expect(await pbotp.judge('1001', attempt(), '000000000', 9, ctx)).toMatchObject({ reason: 'bad-credentials' });
    for (let i = 0; i < 2; i++) await pbotp.judge('1001', attempt(), '000000000', 9, ctx);
    expect(lockEnd(await store.read((t) => t.throttle.get(pbotpThrottleId(key.idMask, '1001'))), clock.t)).toBe(T0 + LOCK);
    clock.t = T0 + LOCK - 1;
    expect(await pbotp.refuseIfLocked('1001', ctx)).toMatchObject({ reason: 'locked' });
    const a = attempt();
    expect(await pbotp.judge('1001', a, responseCode([...a.digitGroups], login), 9, ctx)).toMatchObject({ reason: 'locked' });
    clock.t = T0 + LOCK;
    expect(await pbotp.refuseIfLocked('1001', ctx)).toBeNull();
    const b = attempt();
    expect(await pbotp.judge('1001', b, responseCode([...b.digitGroups], login), 9, ctx)).toMatchObject({ ok: true });
    expect(await store.read((t) => t.throttle.get(pbotpThrottleId(key.idMask, '1001')))).toBeUndefined();
  });
});

describeStores('codes against the clock', (open) => {
  it('takes a code at the first second of its step, and the one before it only within the window', async () => {
    const { store, key, clock, app } = await site(open);
    const strict = new Verifier(store, key, { ...RULES, window: 0 }, () => clock.t);
    expect(await strict.judge({ user: '1001', pin: '4321', code: totpAt(T0 - 1) }, ctx)).toMatchObject({
      detail: "code off by 1 step (30 s behind this PBX's clock) on token app",
    });
    expect(await strict.judge({ user: '1001', pin: '4321', code: totpAt(T0) }, ctx)).toMatchObject({ ok: true });
    expect((await app())?.last_step).toBe(T0 / 30);
    clock.t = T0 + 30;
    const windowed = new Verifier(store, key, RULES, () => clock.t);
    expect(await windowed.judge({ user: '1001', pin: '4321', code: totpAt(T0 + 60) }, ctx)).toMatchObject({ ok: true });
    expect((await app())?.last_step).toBe(T0 / 30 + 2);
  });

  it('refuses a used code after the step rolls over, and accepts the new step once', async () => {
    const { clock, verifier, app } = await site(open);
    const judge = (code: string) => verifier.judge({ user: '1001', pin: '4321', code }, ctx);
    clock.t = T0 + 29;
    const stepN = totpAt(T0);
    expect(await judge(stepN)).toMatchObject({ ok: true });
    clock.t = T0 + 30;
    expect(await judge(stepN)).toMatchObject({ ok: false, detail: 'replayed code (token app)' });
    const stepN1 = totpAt(T0 + 30);
    expect(await judge(stepN1)).toMatchObject({ ok: true });
    expect(await judge(stepN)).toMatchObject({ ok: false, detail: 'replayed code (token app)' });
    expect(await judge(stepN1)).toMatchObject({ ok: false, detail: 'replayed code (token app)' });
    expect((await app())?.last_step).toBe(T0 / 30 + 1);
  });
});

describe('runCall', () => {
  /** A phone that types the given answers, one per prompt, and keeps the variables set. */
  function phone(answers: string[]) {
    const vars: Record<string, string> = {};
    const ch: CallChannel = {
      info: { channel: 'SIP/test-1', uniqueId: '1.1', callerId: '1001', args: [], env: {} },
      answer: async () => {},
      getDigits: async () => ({ digits: answers.shift() ?? '', timedOut: true }),
      play: async () => {},
      setVariable: async (name, value) => void (vars[name] = value),
      log: async () => {},
      close: async () => {},
    };
    return { ch, vars };
  }

  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('judges and audits a call by the clock it is given', async () => {
    const dir = tempDir('astotp-lockout-');
    const settings = { ...defaults({}), db: join(dir, 'astotp.sqlite3'), keyFile: join(dir, 'astotp.key'), tries: 1 };
    const { store, key } = await openAuth(settings, { create: true });
    stores.push(store);
    await enroll(store, key);
    await store.close();
    const call = async (now: number) => {
      const { ch, vars } = phone(['1001', '4321', totpAt(T0)]);
      await runCall(ch, { source: 'test', settings: () => settings, now: () => now });
      return vars;
    };
    expect(await call(T0 + 1)).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    // By the injected clock the same code is now one step old, and its step used: a replay.
    expect(await call(T0 + 31)).toMatchObject({ ASTOTP_REASON: 'bad-credentials' });
    const audit = await openStore(settings.db, { create: false });
    stores.push(audit);
    expect((await audit.read((t) => t.audit.list())).map((e) => [e.at, e.result, e.detail, e.pbx])).toEqual([
      [T0 + 1, 'SUCCESS', 'PIN and code ok (token app)', settings.pbxName],
      [T0 + 31, 'FAILURE', 'replayed code (token app)', settings.pbxName],
    ]);
  });
});
