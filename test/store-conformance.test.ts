// What every store adapter promises (src/store/tables.ts, store.ts), proved
// the same way on SQLite and on a real PostgreSQL: the rows as they went in,
// prefix reads that stay in their range, all-or-nothing transactions, and no
// lost update when many transactions, from several PBXs, change one row at once.
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { Verifier } from '../src/auth/verifier.js';
import { SCHEMA_VERSION } from '../src/store/schema.js';
import type { Store } from '../src/store/store.js';
import { type AuditEntry, type Counters, LEGACY_SECRET_COLUMNS, type NewToken, type NewUser, type StoreTx } from '../src/store/tables.js';
import { totpAt } from './helpers/site.js';
import { describeStores, type OpenStore } from './helpers/stores.js';
import { tempDir } from './helpers/temp.js';
import { appTokenOf, insertUser } from './helpers/users.js';

/** Past 2^31, on a step boundary: a time that does not fit a 32-bit integer comes back whole. */
const LATE = 2_199_999_990;
/** Every byte value, NUL and 0xff included. */
const BOX = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const user = (id: string, over: Partial<NewUser> = {}): NewUser => ({ id, pin_hash: `hash-of-${id}`, ...over });

const token = (serial: string, over: Partial<NewToken> = {}): NewToken => ({
  serial,
  kind: 'hotp',
  user_id: null,
  secret_box: BOX,
  algorithm: 'SHA1',
  digits: 6,
  period: null,
  counter: 0,
  created_at: 1_800_000_000,
  updated_at: 1_800_000_000,
  ...over,
});

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: 1_800_000_000,
  user: '1001',
  caller_id: '1001',
  channel: 'PJSIP/1001-00000001',
  uniqueid: '1800000000.1',
  source: 'agi',
  result: 'FAILURE',
  reason: 'bad-credentials',
  detail: 'wrong code',
  pbx: 'pbx1',
  ...over,
});

const write = <T>(store: Store, fn: (t: StoreTx) => Promise<T>) => store.exclusive(fn);

/** Yields to the event loop between a transaction's read and its write, so other transactions get every chance to slip in. */
const letOthersRun = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `count` stores on one database, as PBXs sharing it, each with connections enough for every transaction at once. */
async function pbxs(open: OpenStore, location: (s: Store) => string, count: number): Promise<Store[]> {
  const first = await open({ poolSize: 10 });
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => open({ at: location(first), poolSize: 10 })));
  return [first, ...rest];
}

/**
 * Deprecation warnings of this file's stores: node-postgres warns of a
 * statement issued while another is still running on the connection (an
 * error in pg 9). Each warning is printed once per process, so every one is
 * caught, whichever test causes it.
 */
const deprecations: string[] = [];
process.on('warning', (w) => {
  if (w.name === 'DeprecationWarning') deprecations.push(w.message);
});
afterAll(() => expect(deprecations).toEqual([]));

describeStores('a store', (open, site) => {
  it('keeps a user as inserted, numbers for times', async () => {
    const store = await open();
    await write(store, async (t) => {
      await t.users.insert(user('1002'));
      await t.users.insert(user('1001', { pin_hash: null, display_name: 'Ann' }));
    });
    const got = await store.read((t) => t.users.get('1001'));
    expect(got).toMatchObject({
      id: '1001',
      pin_hash: null,
      enabled: 1,
      failures: 0,
      locked_until: null,
      last_success: null,
      display_name: 'Ann',
    });
    expect(typeof got!.created_at).toBe('number');
    expect(got!.updated_at).toBe(got!.created_at);
    expect(await store.read((t) => t.users.get('1003'))).toBeUndefined();
    expect(await store.read(async (t) => [(await t.users.list()).map((u) => u.id), await t.users.count()])).toEqual([['1001', '1002'], 2]);
    // The columns of the app secret older astotp kept in the row hold nothing any key opens.
    expect((await store.read((t) => t.transfer.users()))[0]).toMatchObject({ ...LEGACY_SECRET_COLUMNS });

    await write(store, async (t) => {
      await t.users.recordLogin('1001', LATE);
      await t.userCounters.put('1001', { failures: 2, locked_until: LATE + 900 }, LATE);
    });
    const after = await store.read((t) => t.users.get('1001'));
    expect(after).toMatchObject({ last_success: LATE, locked_until: LATE + 900, updated_at: LATE, failures: 2 });
    for (const column of ['last_success', 'locked_until', 'created_at', 'updated_at', 'failures', 'enabled'] as const) {
      expect(typeof after![column], column).toBe('number');
    }
  });

  it('changes and removes users, saying whether there was one', async () => {
    const store = await open();
    await write(store, (t) => t.users.insert(user('1001')));
    const done = await write(store, async (t) => [
      await t.users.setPin('1001', 'new-hash'),
      await t.users.setEnabled('1001', false),
      await t.users.setPin('1002', 'x'),
      await t.users.setEnabled('1002', true),
      await t.users.remove('1002'),
    ]);
    expect(done).toEqual([true, true, false, false, false]);
    expect(await store.read((t) => t.users.get('1001'))).toMatchObject({ pin_hash: 'new-hash', enabled: 0 });
    await write(store, (t) => t.users.setEnabled('1001', true));
    expect((await store.read((t) => t.users.get('1001')))!.enabled).toBe(1);
    expect(await write(store, (t) => t.users.remove('1001'))).toBe(true);
    expect(await store.read((t) => t.users.count())).toBe(0);
  });

  it("keeps tokens as inserted, the app first among a user's, and gone with their user", async () => {
    const store = await open();
    await write(store, async (t) => {
      await t.users.insert(user('1001'));
      await t.tokens.insert(token('B-2', { user_id: '1001' }));
      await t.tokens.insert(token('app:1001', { kind: 'app', user_id: '1001', counter: null, period: 60, algorithm: 'SHA512', digits: 8 }));
      await t.tokens.insert(token('A-1', { user_id: '1001', kind: 'totp', counter: null, period: 30, drift: -3 }));
      await t.tokens.insert(token('C-3', { counter: 2 ** 40 }));
    });
    const got = await store.read((t) => t.tokens.get('app:1001'));
    expect(got).toMatchObject({ kind: 'app', user_id: '1001', algorithm: 'SHA512', digits: 8, period: 60, counter: null, last_step: null });
    expect(got).toMatchObject({ drift: 0, enabled: 1, last_used: null, created_at: 1_800_000_000 });
    expect(Buffer.isBuffer(got!.secret_box) && got!.secret_box.equals(BOX)).toBe(true);
    expect((await store.read((t) => t.tokens.get('C-3')))!.counter).toBe(2 ** 40);
    expect((await store.read((t) => t.tokens.get('A-1')))!.drift).toBe(-3);
    expect(await store.read(async (t) => (await t.tokens.ofUser('1001')).map((k) => k.serial))).toEqual(['app:1001', 'A-1', 'B-2']);
    expect(await store.read(async (t) => (await t.tokens.list()).map((k) => k.serial))).toEqual(['A-1', 'B-2', 'C-3', 'app:1001']);
    expect(await store.read(async (t) => (await t.tokens.list('1001')).length)).toBe(3);

    const box = Buffer.from([9, 0, 9]);
    const done = await write(store, async (t) => [
      await t.tokens.assign('C-3', '1001', box),
      await t.tokens.setEnabled('B-2', false),
      await t.tokens.replaceSecret('app:1001', box, { algorithm: 'SHA1', digits: 6, period: 30 }),
      await t.tokens.assign('X', '1001', box),
      await t.tokens.setEnabled('X', false),
    ]);
    expect(done).toEqual([true, true, true, false, false]);
    expect(await store.read((t) => t.tokens.get('C-3'))).toMatchObject({ user_id: '1001', secret_box: box });
    expect(await store.read((t) => t.tokens.get('B-2'))).toMatchObject({ enabled: 0 });
    // Removing the user removes its tokens (the admin service makes its fobs nobody's before).
    await write(store, (t) => t.users.remove('1001'));
    expect(await store.read(async (t) => (await t.tokens.list()).map((k) => k.serial))).toEqual([]);
  });

  it('moves a token only forward when a code is used, and anywhere on a resync', async () => {
    const store = await open();
    await write(store, async (t) => {
      await t.tokens.insert(token('H'));
      await t.tokens.insert(token('T', { kind: 'totp', counter: null, period: 30 }));
    });
    const use = (serial: string, to: Parameters<StoreTx['tokens']['use']>[1]) => write(store, (t) => t.tokens.use(serial, to, LATE));
    expect(await use('H', { counter: 5 })).toBe(true);
    expect(await use('H', { counter: 5 })).toBe(false);
    expect(await use('H', { counter: 3 })).toBe(false);
    expect(await use('T', { step: LATE / 30, drift: 2 })).toBe(true);
    expect(await use('T', { step: LATE / 30, drift: 0 })).toBe(false);
    expect(await store.read((t) => t.tokens.get('H'))).toMatchObject({ counter: 5, last_used: LATE, updated_at: LATE });
    expect(await store.read((t) => t.tokens.get('T'))).toMatchObject({ last_step: LATE / 30, drift: 2, last_used: LATE });
    await write(store, async (t) => {
      await t.tokens.moveTo('H', { counter: 900 });
      // A resync never moves the replay mark back: the codes used before stay used.
      await t.tokens.moveTo('T', { step: LATE / 30 - 100, drift: -7 });
    });
    expect(await store.read((t) => t.tokens.get('H'))).toMatchObject({ counter: 900 });
    expect(await store.read((t) => t.tokens.get('T'))).toMatchObject({ last_step: LATE / 30, drift: -7 });
    expect(await write(store, (t) => t.tokens.remove('H'))).toBe(true);
    expect(await write(store, (t) => t.tokens.remove('H'))).toBe(false);
  });

  it("keeps users' counters in their rows: none without a user", async () => {
    const store = await open();
    await write(store, (t) => t.users.insert(user('1001')));
    const c = (t: StoreTx) => t.userCounters;
    const none = { pin_streak: 0, lock_level: 0 };
    expect(await write(store, (t) => c(t).get('1001'))).toEqual({ failures: 0, locked_until: null, ...none });
    expect(await write(store, (t) => c(t).put('1001', { failures: 0, locked_until: LATE }, LATE))).toBe(true);
    expect(await store.read((t) => c(t).get('1001'))).toEqual({ failures: 0, locked_until: LATE, ...none });
    // The right-PIN streak and its lock level are a user's too (schema 6), and a put without them leaves them be.
    expect(await write(store, (t) => c(t).put('1001', { failures: 1, locked_until: LATE, pin_streak: 7, lock_level: 2 }, LATE))).toBe(true);
    expect(await write(store, (t) => c(t).put('1001', { failures: 2, locked_until: LATE }, LATE))).toBe(true);
    expect(await store.read((t) => c(t).get('1001'))).toEqual({ failures: 2, locked_until: LATE, pin_streak: 7, lock_level: 2 });
    expect(await write(store, (t) => c(t).clear('1001', LATE))).toBe(true);
    expect(await store.read((t) => c(t).get('1001'))).toEqual({ failures: 0, locked_until: null, ...none });
    expect(
      await write(store, async (t) => [
        await c(t).get('1002'),
        await c(t).put('1002', { failures: 1, locked_until: null }, LATE),
        await c(t).clear('1002', LATE),
      ]),
    ).toEqual([undefined, false, false]);
  });

  it('keeps a throttle counter only while there is something to count', async () => {
    const store = await open();
    const id = 'pbotp-mac:0123456789abcdef0123456789abcdef';
    expect(await write(store, (t) => t.throttle.get(id))).toBeUndefined();
    expect(await write(store, (t) => t.throttle.put(id, { failures: 2, locked_until: null }, LATE))).toBe(true);
    expect(await store.read((t) => t.throttle.get(id))).toEqual({ failures: 2, locked_until: null });
    await write(store, (t) => t.throttle.put(id, { failures: 0, locked_until: LATE + 900 }, LATE));
    const got = await store.read((t) => t.throttle.get(id));
    expect(got).toEqual({ failures: 0, locked_until: LATE + 900 });
    expect(typeof got!.locked_until).toBe('number');
    expect(await write(store, (t) => t.throttle.clear(id, LATE))).toBe(true);
    expect(await write(store, (t) => t.throttle.clear(id, LATE))).toBe(false);
    expect(await store.read((t) => t.throttle.idsStartingWith(''))).toEqual([]);
  });

  it('finds throttle ids by prefix without their neighbours in the key order', async () => {
    const store = await open();
    const ids = [
      'pbotp',
      'pbotp-mac:aa',
      'pbotp-mac:ab',
      'pbotp9',
      'pbotp:',
      'pbotp:1001',
      'pbotp:\u00e9',
      'pbotp;1001',
      'pbots:1',
      'PBOTP:1001',
      'pbot',
    ];
    await write(store, async (t) => {
      for (const id of ids) await t.throttle.put(id, { failures: 1, locked_until: null }, LATE);
    });
    const starting = async (prefix: string) => (await store.read((t) => t.throttle.idsStartingWith(prefix))).sort();
    expect(await starting('pbotp:')).toEqual(['pbotp:', 'pbotp:1001', 'pbotp:\u00e9']);
    expect(await starting('pbotp-mac:')).toEqual(['pbotp-mac:aa', 'pbotp-mac:ab']);
    expect(await starting('pbotp-mac:a')).toEqual(['pbotp-mac:aa', 'pbotp-mac:ab']);
    expect(await starting('pbotp;')).toEqual(['pbotp;1001']);
    expect(await starting('pbotp:1001')).toEqual(['pbotp:1001']);
    expect(await starting('pbotp:1')).toEqual(['pbotp:1001']);
    expect(await starting('nothing')).toEqual([]);
    expect(await starting('')).toEqual([...ids].sort());
  });

  it('renames a throttle counter: adds its failures to the one there and keeps the later lock', async () => {
    const store = await open();
    const put = (t: StoreTx, id: string, failures: number, locked_until: number | null) =>
      t.throttle.put(id, { failures, locked_until }, LATE);
    await write(store, async (t) => {
      await put(t, 'pbotp:1', 2, LATE + 100);
      await put(t, 'new:1', 1, LATE + 200);
      await put(t, 'pbotp:2', 1, LATE + 300);
      await put(t, 'new:2', 1, LATE + 200);
      await put(t, 'pbotp:3', 1, LATE + 300);
      await put(t, 'new:3', 2, null);
      await put(t, 'pbotp:4', 2, null);
      await put(t, 'new:4', 1, LATE + 200);
      await put(t, 'pbotp:5', 2, LATE + 500);
      for (let i = 1; i <= 5; i++) await t.throttle.rename(`pbotp:${i}`, `new:${i}`);
      // Nothing to move: nothing changes.
      await t.throttle.rename('pbotp:6', 'new:1');
    });
    const rows = await store.read(async (t) => Promise.all([1, 2, 3, 4, 5].map((i) => t.throttle.get(`new:${i}`))));
    expect(rows).toEqual([
      { failures: 3, locked_until: LATE + 200 },
      { failures: 2, locked_until: LATE + 300 },
      { failures: 3, locked_until: LATE + 300 },
      { failures: 3, locked_until: LATE + 200 },
      { failures: 2, locked_until: LATE + 500 },
    ]);
    expect(await store.read((t) => t.throttle.idsStartingWith('pbotp:'))).toEqual([]);
  });

  it('runs the statements a transaction issues at once one after the other', async () => {
    const store = await open();
    const ids = ['1001', '1002', '1003', '1004'];
    await write(store, (t) => Promise.all(ids.map((id) => t.users.insert(user(id)))));
    await write(store, (t) =>
      Promise.all([...ids.map((id) => t.userCounters.put(id, { failures: 2, locked_until: null }, LATE)), t.meta.set('k', 'v')]),
    );
    const [listed, count, counters, meta] = await store.read((t) =>
      Promise.all([t.users.list(), t.users.count(), Promise.all(ids.map((id) => t.userCounters.get(id))), t.meta.get('k')]),
    );
    expect(listed.map((u) => u.id)).toEqual(ids);
    expect(count).toBe(4);
    expect(counters).toEqual(ids.map(() => ({ failures: 2, locked_until: null, pin_streak: 0, lock_level: 0 })));
    expect(meta).toBe('v');
    expect(deprecations).toEqual([]);
  });

  it('lists audit rows newest last, by users, since, pbx and limit', async () => {
    const store = await open();
    const rows = [
      entry({ at: 100, user: '1001', pbx: 'pbx1', result: 'SUCCESS', reason: 'ok', detail: 'PIN and code ok' }),
      entry({ at: 200, user: '1002', pbx: 'pbx2' }),
      entry({ at: 300, user: null, caller_id: null, channel: null, uniqueid: null, detail: null, pbx: 'pbx1' }),
      entry({ at: 400, user: '1001', pbx: 'pbx2', source: 'cli' }),
      entry({ at: LATE, user: '1003', pbx: 'pbx1' }),
    ];
    await write(store, async (t) => {
      for (const e of rows) await t.audit.add(e);
    });
    const list = (q?: Parameters<StoreTx['audit']['list']>[0]) => store.read((t) => t.audit.list(q));
    expect(await list()).toEqual(rows);
    const ats = async (q: Parameters<StoreTx['audit']['list']>[0]) => (await list(q)).map((e) => e.at);
    expect(await ats({ users: ['1001'] })).toEqual([100, 400]);
    expect(await ats({ users: ['1001', '1003'] })).toEqual([100, 400, LATE]);
    expect(await ats({ users: [] })).toEqual([]);
    expect(await ats({ since: 300 })).toEqual([300, 400, LATE]);
    expect(await ats({ pbx: 'pbx1' })).toEqual([100, 300, LATE]);
    expect(await ats({ pbx: 'pbx3' })).toEqual([]);
    // The newest ones, still newest last.
    expect(await ats({ limit: 2 })).toEqual([400, LATE]);
    expect(await ats({ users: ['1001', '1002'], since: 150, pbx: 'pbx2', limit: 1 })).toEqual([400]);
    expect(await ats({ users: ['1001', '1002'], since: 150, pbx: 'pbx2' })).toEqual([200, 400]);
  });

  it('keeps audit rows bounded: typed and channel values are cut', async () => {
    const store = await open();
    const long = '9'.repeat(500);
    await write(store, (t) => t.audit.add(entry({ user: long, caller_id: long, channel: long, uniqueid: long, pbx: long })));
    const [got] = await store.read((t) => t.audit.list());
    expect(got).toMatchObject({
      user: long.slice(0, 80),
      caller_id: long.slice(0, 80),
      channel: long.slice(0, 80),
      uniqueid: long.slice(0, 80),
      pbx: long.slice(0, 80),
    });
  });

  it('keeps meta values, the last one set, until removed', async () => {
    const store = await open();
    expect(await store.read((t) => t.meta.get('probe'))).toBeUndefined();
    await write(store, (t) => t.meta.set('probe', 'one'));
    await write(store, (t) => t.meta.set('probe', 'two'));
    expect(await store.read((t) => t.meta.get('probe'))).toBe('two');
    expect(await write(store, (t) => t.meta.remove('probe'))).toBe(true);
    expect(await write(store, (t) => t.meta.remove('probe'))).toBe(false);
    expect(await store.read((t) => t.meta.get('probe'))).toBeUndefined();
    expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
  });

  it("keeps users' names, addresses and languages, changing only those given", async () => {
    const store = await open();
    await write(store, (t) => t.users.insert(user('1001', { display_name: 'Zoë «Z» Ünal', email: 'z@example.org', language: 'fr' })));
    await write(store, (t) => t.users.insert(user('1002')));
    expect(await store.read((t) => t.users.get('1001'))).toMatchObject({
      display_name: 'Zoë «Z» Ünal',
      email: 'z@example.org',
      language: 'fr',
    });
    expect(await store.read((t) => t.users.get('1002'))).toMatchObject({ display_name: null, email: null, language: null });
    expect(await write(store, (t) => t.users.setProfile('1001', { email: null, language: 'ru' }))).toBe(true);
    expect(await store.read((t) => t.users.get('1001'))).toMatchObject({ display_name: 'Zoë «Z» Ünal', email: null, language: 'ru' });
    expect(await write(store, (t) => t.users.setProfile('1001', {}))).toBe(true);
    expect(await write(store, (t) => t.users.setProfile('9999', { language: 'en' }))).toBe(false);
  });

  it('keeps invitations: one pending per user, ended once, found by the hash of their token', async () => {
    const store = await open();
    const invitation = (userId: string, hash: string) => ({
      user_id: userId,
      token_hash: hash,
      display_name: 'Ann',
      email: 'ann@example.org',
      language: 'it',
      activation_hash: null,
      created_at: 1_800_000_000,
      expires_at: LATE,
      created_by: 'alice',
    });
    const id = await write(store, (t) => t.invitations.add(invitation('1001', 'h1')));
    expect(await store.read((t) => t.invitations.byTokenHash('h1'))).toMatchObject({
      id,
      user_id: '1001',
      state: 'pending',
      wrong_codes: 0,
      expires_at: LATE,
      ended_at: null,
    });
    expect(await store.read((t) => t.invitations.pendingFor('1001'))).toMatchObject({ id });
    // A second pending one for the same user is refused by the database itself.
    await expect(write(store, (t) => t.invitations.add(invitation('1001', 'h2')))).rejects.toThrow();
    await write(store, (t) => t.invitations.setWrongCodes(id, 2));
    expect(await write(store, (t) => t.invitations.end(id, 'used', 1_800_000_100))).toBe(true);
    expect(await write(store, (t) => t.invitations.end(id, 'revoked', 1_800_000_200))).toBe(false);
    expect(await store.read((t) => t.invitations.get(id))).toMatchObject({ state: 'used', ended_at: 1_800_000_100, wrong_codes: 2 });
    expect(await store.read((t) => t.invitations.pendingFor('1001'))).toBeUndefined();
    const second = await write(store, (t) => t.invitations.add(invitation('1001', 'h2')));
    expect((await store.read((t) => t.invitations.list())).map((i) => i.id)).toEqual([second, id]);
    expect(await store.read((t) => t.transfer.counts())).toMatchObject({ invitations: 2 });
  });

  it('keeps web sessions by their hash until they end or expire', async () => {
    const store = await open();
    const session = (hash: string, invitation: number | null, expires: number) => ({
      id_hash: hash,
      kind: 'enrol',
      user_id: '1001',
      invitation_id: invitation,
      secret_box: BOX,
      data: '{"digits":6}',
      created_at: 1_800_000_000,
      seen_at: 1_800_000_000,
      expires_at: expires,
    });
    await write(store, async (t) => {
      await t.webSessions.add(session('a', 7, LATE));
      await t.webSessions.add(session('b', 7, LATE));
      await t.webSessions.add(session('c', 8, 1_800_000_100));
    });
    expect(await store.read((t) => t.webSessions.get('a'))).toEqual(session('a', 7, LATE));
    expect(await write(store, (t) => t.webSessions.removeExpired(1_800_000_100))).toBe(1);
    expect(await write(store, (t) => t.webSessions.removeForInvitation(7))).toBe(2);
    expect(await store.read((t) => t.webSessions.get('a'))).toBeUndefined();
    await write(store, (t) => t.webSessions.add(session('d', null, LATE)));
    expect(await write(store, (t) => t.webSessions.remove('d'))).toBe(true);
    expect(await write(store, (t) => t.webSessions.remove('d'))).toBe(false);
  });

  it("changes a live session's fields, and ends every session of one kind for a user", async () => {
    const store = await open();
    const session = (hash: string, kind: string, user: string) => ({
      id_hash: hash,
      kind,
      user_id: user,
      invitation_id: null,
      secret_box: null,
      data: null,
      created_at: 1_800_000_000,
      seen_at: 1_800_000_000,
      expires_at: 1_800_000_900,
    });
    await write(store, async (t) => {
      await t.webSessions.add(session('a', 'account', '1001'));
      await t.webSessions.add(session('b', 'account', '1001'));
      await t.webSessions.add(session('c', 'account', '1002'));
      await t.webSessions.add(session('d', 'approver', '1001'));
    });
    const changed = { seen_at: 1_800_000_500, expires_at: 1_800_001_400, secret_box: BOX, data: '{"move":1}' };
    expect(await write(store, (t) => t.webSessions.update('a', changed))).toBe(true);
    expect(await store.read((t) => t.webSessions.get('a'))).toEqual({ ...session('a', 'account', '1001'), ...changed });
    expect(await write(store, (t) => t.webSessions.update('nosuch', changed))).toBe(false);
    // Every kind of the user's sessions ends (an approver's too); another user's stay.
    expect(await write(store, (t) => t.webSessions.removeForUser('1001'))).toBe(3);
    expect(await store.read((t) => t.webSessions.get('b'))).toBeUndefined();
    expect(await store.read((t) => t.webSessions.get('d'))).toBeUndefined();
    expect(await store.read((t) => t.webSessions.get('c'))).toMatchObject({ user_id: '1002' });
    expect(await write(store, (t) => t.webSessions.removeForUser('1001'))).toBe(0);
  });

  it("keeps an authority's roles and API tokens, copies them whole, and drops them with their user", async () => {
    const store = await open();
    const role = {
      user_id: '1001',
      role: 'approver' as const,
      group_names: 'pbx,ssh',
      host_patterns: 'db-*',
      created_at: 1_800_000_000,
      updated_at: LATE,
    };
    await write(store, async (t) => {
      await t.users.insert(user('1001'));
      await t.users.insert(user('1002'));
      await t.roles.put(role);
      await t.roles.put({ ...role, user_id: '1002', host_patterns: null });
    });
    expect(await store.read((t) => t.roles.get('1001'))).toEqual(role);
    // Setting it again changes the rights and keeps when it was first given.
    await write(store, (t) => t.roles.put({ ...role, group_names: 'ssh', created_at: LATE }));
    expect(await store.read((t) => t.roles.get('1001'))).toEqual({ ...role, group_names: 'ssh' });
    const made = { user_id: '1001', token_hash: 'h1', label: 'helpdesk', created_at: 1_800_000_000, created_by: 'root' };
    const [a, b] = await write(store, async (t) => [
      await t.apiTokens.add(made),
      await t.apiTokens.add({ ...made, token_hash: 'h2', label: null }),
    ]);
    expect(b).toBeGreaterThan(a!);
    expect(await store.read((t) => t.apiTokens.byHash('h1'))).toEqual({ ...made, id: a, last_used: null, revoked_at: null });
    await write(store, (t) => t.apiTokens.used(a!, LATE));
    expect(await write(store, (t) => t.apiTokens.revoke(a!, LATE))).toBe(true);
    expect(await write(store, (t) => t.apiTokens.revoke(a!, LATE))).toBe(false);
    expect(await store.read((t) => t.apiTokens.get(a!))).toMatchObject({ last_used: LATE, revoked_at: LATE });
    expect(await store.read((t) => t.transfer.counts())).toMatchObject({ roles: 2, api_tokens: 2 });

    const copy = await open();
    const rows = await store.read(async (t) => ({
      users: await t.transfer.users(),
      roles: await t.transfer.roles(),
      tokens: await t.transfer.apiTokens(),
    }));
    await write(copy, async (t) => {
      await t.transfer.putUsers(rows.users);
      await t.transfer.putRoles(rows.roles);
      await t.transfer.putApiTokens(rows.tokens);
    });
    expect(await copy.read((t) => t.transfer.roles())).toEqual(rows.roles);
    expect((await copy.read((t) => t.transfer.apiTokens())).map(({ id: _id, ...r }) => r)).toEqual(
      rows.tokens.map(({ id: _id, ...r }) => r),
    );
    expect(await copy.read((t) => t.transfer.isEmpty())).toBe(false);

    expect(await write(store, (t) => t.users.remove('1001'))).toBe(true);
    expect(await store.read(async (t) => [await t.roles.list(), await t.apiTokens.list()])).toEqual([
      [{ ...role, user_id: '1002', host_patterns: null }],
      [],
    ]);
    expect(await write(store, (t) => t.roles.remove('1002'))).toBe(true);
    expect(await write(store, (t) => t.roles.remove('1002'))).toBe(false);
    await write(copy, (t) => t.transfer.clear());
    expect(await copy.read((t) => t.transfer.counts())).toMatchObject({ roles: 0, api_tokens: 0 });
  });

  it('rolls back everything an exclusive() did when its fn throws, and stays usable', async () => {
    const store = await open();
    await write(store, (t) => t.users.insert(user('1001')));
    const boom = new Error('boom');
    const failed = write(store, async (t) => {
      await t.users.insert(user('1002'));
      await t.users.setPin('1001', 'changed');
      await t.userCounters.put('1001', { failures: 2, locked_until: null }, LATE);
      await t.throttle.put('pbotp-mac:x', { failures: 1, locked_until: null }, LATE);
      await t.audit.add(entry());
      await t.meta.set('probe', 'written');
      throw boom;
    });
    await expect(failed).rejects.toBe(boom);
    const seen = await store.read(async (t) => ({
      users: (await t.users.list()).map((u) => [u.id, u.pin_hash, u.failures]),
      throttle: await t.throttle.idsStartingWith(''),
      audit: await t.audit.list(),
      meta: await t.meta.get('probe'),
    }));
    expect(seen).toEqual({ users: [['1001', 'hash-of-1001', 0]], throttle: [], audit: [], meta: undefined });
    await write(store, (t) => t.meta.set('probe', 'after'));
    expect(await store.read((t) => t.meta.get('probe'))).toBe('after');
  });

  it('loses no update when 30 transactions on three PBXs count failures on one counter at once', async () => {
    const stores = await pbxs(open, site.location, 3);
    await write(stores[0]!, (t) => t.users.insert(user('1001')));
    const id = 'pbotp-mac:0123456789abcdef0123456789abcdef';
    const countAll = (counters: (t: StoreTx) => Counters, key: string) =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          write(stores[i % stores.length]!, async (t) => {
            const before = await counters(t).get(key);
            await letOthersRun();
            await counters(t).put(key, { failures: (before?.failures ?? 0) + 1, locked_until: null }, LATE);
          }),
        ),
      );
    // The throttle counter has no row until the first of them writes one.
    await countAll((t) => t.throttle, id);
    await countAll((t) => t.userCounters, '1001');
    expect(await stores[1]!.read(async (t) => [await t.throttle.get(id), (await t.users.get('1001'))?.failures])).toEqual([
      { failures: 30, locked_until: null },
      30,
    ]);
  });

  it('lets exactly one of 20 callers on three PBXs log in with the same code', async () => {
    const stores = await pbxs(open, site.location, 3);
    const key = createMasterKey(join(tempDir('astotp-conformance-'), 'astotp.key')) as MasterKey;
    await write(stores[0]!, (t) => insertUser(t, key, user('1001', { pin_hash: null })));
    const now = 1_800_000_000;
    const rules = { window: 1, hotpWindow: 5, lockoutFailures: 100, lockoutMinutes: 15 };
    const verifiers = stores.map((s) => new Verifier(s, key, rules, () => now));
    const code = totpAt(now);
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        verifiers[i % verifiers.length]!.judge({ user: '1001', pin: null, code }, { source: 'test', pbx: `pbx${(i % 3) + 1}` }),
      ),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(1);
    expect(verdicts.filter((v) => !v.ok).map((v) => v.detail)).toEqual(Array(19).fill('replayed code (token app)'));
    const after = await stores[2]!.read(async (t) => ({ u: await t.users.get('1001'), audit: await t.audit.list({ limit: 100 }) }));
    expect(after.u).toMatchObject({ failures: 19, last_success: now });
    expect(await appTokenOf(stores[2]!, '1001')).toMatchObject({ last_step: now / 30 });
    expect(after.audit.map((e) => e.result).sort()).toEqual([...Array(19).fill('FAILURE'), 'SUCCESS']);
  });

  it('initialises an empty database once when two PBXs open it at the same moment, both usable', async () => {
    const db = await site.emptyDatabase();
    const [a, b] = await Promise.all([open({ at: db }), open({ at: db })]);
    expect([await a.schemaVersion(), await b.schemaVersion()]).toEqual([SCHEMA_VERSION, SCHEMA_VERSION]);
    await write(a, (t) => t.users.insert(user('1001')));
    expect(await b.read((t) => t.users.count())).toBe(1);
  });

  it('refuses to initialise an empty database for a call, saying what does, and leaves it empty', async () => {
    const db = await site.emptyDatabase();
    const refused = /^database \S+ is empty \(astotp init or astotp enroll initialises it\)$/;
    await expect(open({ at: db, create: false })).rejects.toThrow(refused);
    await expect(open({ at: db, create: false })).rejects.toThrow(refused);
    expect(await (await open({ at: db })).schemaVersion()).toBe(SCHEMA_VERSION);
  });
});
