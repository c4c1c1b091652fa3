// Databases made by earlier versions: migrations only add, a file is copied
// before it is migrated, and a database made by main at 9032af8
// (scripts/make-upgrade-fixture.sh) keeps every user, lock and count.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createMasterKey, type MasterKey } from '../src/auth/master-key.js';
import { openAuth } from '../src/auth/open-auth.js';
import { sealSecret } from '../src/auth/secret-box.js';
import { openTokenSecret } from '../src/auth/tokens.js';
import { isPostgresUrl } from '../src/store/location.js';
import { PbotpVerifier, pbotpThrottleId } from '../src/auth/pbotp-verifier.js';
import { defaults } from '../src/config/settings.js';
import { startAttempt } from '../src/pbotp/attempt.js';
import { parsePublicKey } from '../src/pbotp/keys.js';
import { openStore } from '../src/store/open-store.js';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/schema.js';
import { OLDEST_COMPATIBLE_SCHEMA, SCHEMA_VERSION, TOKENS_SCHEMA } from '../src/store/schema.js';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/schema.js';
import type { Store } from '../src/store/store.js';
import { AUTHORITY_PUB, responseCode } from './helpers/pbotp-authority.js';
import { olderBundle } from './helpers/older-bundle.js';
import { Site, totp, totpAt } from './helpers/site.js';
import { describeStores } from './helpers/stores.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'main-9032af8');
const made = JSON.parse(readFileSync(`${FIXTURE}.json`, 'utf8')) as {
  madeAt: number;
  secret: string;
  lockoutFailures: number;
  lockoutMinutes: number;
};

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<Store> {
  const store = await openStore(path, { create: false });
  stores.push(store);
  return store;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'astotp-upgrade-'));
  dirs.push(dir);
  return dir;
}

/** A database as the astotp of schema version `version` left it, with one user. */
function databaseOfVersion(path: string, version: number): void {
  const db = new Database(path);
  for (const m of SQLITE_MIGRATIONS.slice(0, version)) db.exec(m);
  db.pragma(`user_version = ${version}`);
  db.prepare(
    "INSERT INTO users (id, secret_box, algorithm, digits, period, failures, locked_until, created_at, updated_at) VALUES ('1001', x'00', 'SHA1', 6, 30, 2, 1900000000, 1, 1)",
  ).run();
  db.close();
}

describe('schema migrations', () => {
  it('only add: no migration drops, renames, rewrites or deletes', () => {
    expect(SQLITE_MIGRATIONS).toHaveLength(SCHEMA_VERSION);
    expect(POSTGRES_MIGRATIONS).toHaveLength(SCHEMA_VERSION);
    for (const migration of [...SQLITE_MIGRATIONS, ...POSTGRES_MIGRATIONS]) {
      // A new table's rows may go with their user: that deletes nothing that was there before.
      const m = migration.replace(/\bREFERENCES\s+users\s*\(id\)\s+ON\s+DELETE\s+CASCADE\b/gi, 'REFERENCES users (id)');
      expect(m).not.toMatch(/\b(DROP|RENAME|DELETE|REPLACE)\b/i);
      for (const alter of m.match(/\bALTER\s+TABLE\s+\S+\s+\w+/gi) ?? []) expect(alter).toMatch(/\bADD$/i);
      // An UPDATE may only fill in a column the same migration adds: what was there stays as it was.
      const added = [...m.matchAll(/\bALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)/gi)].map(([, table, column]) => `${table} ${column}`);
      for (const update of m.match(/\bUPDATE\b[^;]*/gi) ?? []) {
        const set = /^UPDATE\s+(\w+)\s+SET\s+(\w+)\s*=\s*\w+$/i.exec(update.trim());
        expect(set, update).not.toBeNull();
        expect(added, update).toContain(`${set![1]} ${set![2]}`);
      }
    }
  });

  it('keep a copy of the database as it was, next to it, before migrating it', async () => {
    const dir = tempDir();
    const path = join(dir, 'astotp.sqlite3');
    databaseOfVersion(path, 1);
    const store = await open(path);
    const copy = `${path}.before-v${SCHEMA_VERSION}`;
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    const old = new Database(copy, { readonly: true });
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    expect(old.prepare('SELECT id, failures, locked_until FROM users').all()).toEqual([
      { id: '1001', failures: 2, locked_until: 1900000000 },
    ]);
    expect(old.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'throttle'").get()).toEqual({ n: 0 });
    old.close();
    // Migrated, the user keeps its counter; opening again copies nothing more.
    expect(await store.read((t) => t.userCounters.get('1001'))).toEqual({
      failures: 2,
      locked_until: 1900000000,
      pin_streak: 0,
      lock_level: 0,
    });
    await open(path);
    expect(readdirSync(dir).filter((f) => f.includes('.before-'))).toEqual([`astotp.sqlite3.before-v${SCHEMA_VERSION}`]);
  });

  it('give users of schema 4 no name, address or language, and add empty invitations', async () => {
    const path = join(tempDir(), 'astotp.sqlite3');
    databaseOfVersion(path, 4);
    const store = await open(path);
    expect(await store.read((t) => t.users.get('1001'))).toMatchObject({ failures: 2, display_name: null, email: null, language: null });
    expect(await store.read((t) => t.invitations.list())).toEqual([]);
  });

  it('are marked, from tokens on, as unusable by any astotp that knows no tokens', async () => {
    const path = join(tempDir(), 'astotp.sqlite3');
    databaseOfVersion(path, TOKENS_SCHEMA - 1);
    const store = await open(path);
    expect(await store.read((t) => t.meta.get('oldest_compatible_schema'))).toBe(String(TOKENS_SCHEMA));
    expect(OLDEST_COMPATIBLE_SCHEMA).toBe(TOKENS_SCHEMA);
    // The migration that raises it is the one that makes the tokens table.
    expect(SQLITE_MIGRATIONS[TOKENS_SCHEMA - 1]).toMatch(/CREATE TABLE tokens/);
    expect(POSTGRES_MIGRATIONS[TOKENS_SCHEMA - 1]).toMatch(/CREATE TABLE tokens/);
  });

  it('keep an earlier copy and number the new one', async () => {
    const dir = tempDir();
    const path = join(dir, 'astotp.sqlite3');
    databaseOfVersion(path, 1);
    const earlier = `${path}.before-v${SCHEMA_VERSION}`;
    writeFileSync(earlier, 'an earlier copy');
    await open(path);
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier copy');
    const copy = new Database(`${earlier}.2`, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(1);
    copy.close();
  });
});

describe('a database made by main at 9032af8', () => {
  function copyOfFixture(dir: string) {
    const db = join(dir, 'astotp.sqlite3');
    const keyFile = join(dir, 'astotp.key');
    copyFileSync(`${FIXTURE}.sqlite3.fixture`, db);
    copyFileSync(`${FIXTURE}.key.fixture`, keyFile);
    chmodSync(keyFile, 0o600);
    return { db, keyFile };
  }

  it('keeps its users, locks and failure counts, for TOTP and pbotp', async () => {
    const dir = tempDir();
    const settings = { ...defaults({}), ...copyOfFixture(dir), lockoutFailures: made.lockoutFailures, lockoutMinutes: made.lockoutMinutes };
    const clock = { t: made.madeAt + 60 };
    const { store, key, verifier } = await openAuth(settings, { create: false, now: () => clock.t });
    stores.push(store);
    // Made with schema version 2: copied first if this version migrates it.
    expect(readdirSync(dir).filter((f) => f.includes('.before-'))).toEqual(
      SCHEMA_VERSION > 2 ? [`astotp.sqlite3.before-v${SCHEMA_VERSION}`] : [],
    );
    const ctx = { source: 'test', pbx: 'pbx1' };
    const login = (user: string, pin: string | null) => verifier.judge({ user, pin, code: totpAt(clock.t, made.secret) }, ctx);
    // Its audit rows keep their users, and say no PBX: main wrote none.
    expect((await store.read((t) => t.audit.list({ users: ['1002'] }))).map((e) => [e.user, e.detail, e.pbx])).toEqual([
      ['1002', 'wrong code', null],
      ['1002', 'wrong code', null],
      ['1002', 'wrong code; now locked for 15 min', null],
    ]);
    const pinHash = async (id: string) => (await store.read((t) => t.users.get(id)))!.pin_hash;
    expect(await pinHash('1001')).toMatch(/^scrypt\$/);
    expect(await login('1001', '1234')).toMatchObject({ ok: true });
    // main's PIN hash named no user: the login wrote it again, bound to its user.
    expect(await pinHash('1001')).toMatch(/^scrypt-id\$/);
    expect(await login('1002', '5678')).toMatchObject({ reason: 'locked' });
    // 1003's two failures carried over: one more locks it.
    expect(await verifier.judge({ user: '1003', pin: null, code: totpAt(clock.t - 3600, made.secret) }, ctx)).toMatchObject({
      detail: 'wrong code; now locked for 15 min',
    });

    const pbotp = new PbotpVerifier(store, key.idMask, settings, () => clock.t);
    expect(await pbotp.refuseIfLocked('2002', ctx)).toMatchObject({ reason: 'locked' });
    expect(await pbotp.refuseIfLocked('3003', ctx)).toBeNull();
    const attempt = startAttempt(parsePublicKey(AUTHORITY_PUB), { group: 'dev', host: 'pbx1', user: '3003' });
    expect(await pbotp.judge('3003', attempt, '000000000', 9, ctx)).toMatchObject({
      detail: 'pbotp wrong response; now locked for 15 min',
    });

    // The locks main started run out when main said they would.
    clock.t = (await store.read((t) => t.users.get('1002')))!.locked_until!;
    expect(await login('1002', '5678')).toMatchObject({ ok: true });
    clock.t = (await store.read((t) => t.throttle.get(pbotpThrottleId(key.idMask, '2002'))))!.locked_until!;
    const right = startAttempt(parsePublicKey(AUTHORITY_PUB), { group: 'dev', host: 'pbx1', user: '2002' });
    expect(
      await pbotp.judge('2002', right, responseCode([...right.digitGroups], { group: 'dev', host: 'pbx1', user: '2002' }), 9, ctx),
    ).toMatchObject({ ok: true });
  });

  it('logs its users in through the bundle', async () => {
    const site = new Site();
    onTestFinished(() => site.remove());
    copyOfFixture(site.varDir);
    site.config({ timeout: 5, lockout_failures: made.lockoutFailures });
    const r = await site.call({ inputs: ['1001', '1234', totp(made.secret)] });
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    const list = JSON.parse(site.cli(['list', '--json']).stdout) as Array<{ id: string; failures: number; recovery_codes_left: number }>;
    expect(list.map((u) => [u.id, u.failures, u.recovery_codes_left])).toEqual([
      ['1001', 0, 0],
      ['1002', 0, 0],
      ['1003', 2, 0],
    ]);
    // Its users had none; a new set works like one made at enrollment.
    const codes = (JSON.parse(site.cli(['recovery', '1001', '--json']).stdout) as { recovery_codes: string[] }).recovery_codes;
    const entry = `*${codes[0]}`;
    const recovered = await site.call({ inputs: ['1001', '1234', entry.slice(0, 6), entry.slice(6)] });
    expect(recovered.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  });
});

/** The schema version a SQLite file is at. */
function versionOf(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('a database a newer astotp has migrated', () => {
  /** This site's database as a newer astotp would leave it: one more schema version, an added column, its compatibility mark. */
  function newerSite(mark: number | null): Site {
    const site = new Site();
    onTestFinished(() => site.remove());
    site.config({ timeout: 5 });
    site.enroll('1001', '4321');
    const db = new Database(site.db);
    db.exec('ALTER TABLE audit ADD COLUMN newer TEXT');
    if (mark === null) db.prepare("DELETE FROM meta WHERE key = 'oldest_compatible_schema'").run();
    else
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('oldest_compatible_schema', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ).run(String(mark));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    return site;
  }

  it('is marked with the oldest schema that may still use it when this astotp migrates it', () => {
    const site = new Site();
    onTestFinished(() => site.remove());
    site.enroll('1001', '4321');
    const db = new Database(site.db, { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'oldest_compatible_schema'").get()).toEqual({
      value: String(OLDEST_COMPATIBLE_SCHEMA),
    });
  });

  it('is used as it is when the newer astotp declared this schema still compatible (its migrations only added)', async () => {
    const site = newerSite(SCHEMA_VERSION);
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    expect(site.cli(['list', '--json']).status).toBe(0);
    expect(versionOf(site.db)).toBe(SCHEMA_VERSION + 1);
  });

  it.each([
    ['a later schema only', SCHEMA_VERSION + 1],
    ['no mark at all', null],
  ])('is refused, with what to install, when it is compatible with %s', async (_, mark) => {
    const site = newerSite(mark);
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(
      new RegExp(
        `has schema version ${SCHEMA_VERSION + 1}, which needs astotp for schema ${SCHEMA_VERSION + 1} or newer .*install a newer astotp`,
      ),
    );
    const cli = site.cli(['list']);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/install a newer astotp/);
    expect(versionOf(site.db)).toBe(SCHEMA_VERSION + 1);
  });
});

describeStores('a database of the schema before tokens', (open, site) => {
  it('gives every user its app secret as its first token, app:USER, with its replay mark and parameters', async () => {
    const at = await site.emptyDatabase();
    const key = createMasterKey(join(tempDir(), 'astotp.key')) as MasterKey;
    const box = sealSecret(key.secretKey, '1001', made.secret);
    const insert =
      "INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, last_step, last_success, created_at, updated_at) VALUES ('1001', NULL, $1, 'SHA256', 8, 60, 30000000, 1800000000, 1, 2)";
    if (isPostgresUrl(at)) {
      const client = new pg.Client({ connectionString: at });
      await client.connect();
      try {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        for (let v = 0; v < TOKENS_SCHEMA - 1; v++) {
          await client.query(POSTGRES_MIGRATIONS[v]!);
          await client.query('INSERT INTO schema_migrations VALUES ($1, 0)', [v + 1]);
        }
        await client.query(insert, [box]);
      } finally {
        await client.end();
      }
    } else {
      const db = new Database(at);
      for (const m of SQLITE_MIGRATIONS.slice(0, TOKENS_SCHEMA - 1)) db.exec(m);
      db.pragma(`user_version = ${TOKENS_SCHEMA - 1}`);
      db.prepare(insert.replace('$1', '?')).run(box);
      db.close();
    }
    const store = await open({ at });
    const app = await store.read((t) => t.tokens.get('app:1001'));
    expect(app).toMatchObject({ kind: 'app', user_id: '1001', algorithm: 'SHA256', digits: 8, period: 60, last_step: 30000000 });
    expect(app).toMatchObject({ counter: null, drift: 0, enabled: 1, last_used: 1800000000, created_at: 1, updated_at: 2 });
    // The box moved as it was, and opens as the token's.
    expect(openTokenSecret(key.secretKey, app!)).toBe(made.secret);
    expect(await store.read((t) => t.meta.get('oldest_compatible_schema'))).toBe(String(TOKENS_SCHEMA));
  });
});

describe('an older astotp sharing a database a newer one upgraded', () => {
  it('refuses the code the new one used, and every other, naming what to install', async () => {
    const older = olderBundle();
    const site = new Site();
    onTestFinished(() => site.remove());
    site.config({ timeout: 5 });
    // The database as the older astotp made it, with a user of its own.
    const enrolled = spawnSync(process.execPath, [older, 'enroll', '1001', '--secret', made.secret, '--no-confirm', '--qr', 'none'], {
      env: site.env,
      input: '4321\n',
      encoding: 'utf8',
    });
    expect(enrolled.status).toBe(0);
    expect(versionOf(site.db)).toBe(TOKENS_SCHEMA - 1);
    const onOld = () => site.call({ commandArgs: [older], inputs: ['1001', '4321', code] });
    const code = totp(made.secret);
    // This astotp upgrades the file at its first call, and uses the code.
    expect((await site.call({ inputs: ['1001', '4321', code] })).variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    expect(versionOf(site.db)).toBe(SCHEMA_VERSION);
    const old = await onOld();
    expect(old.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(old.variables.ASTOTP_ERROR).toMatch(
      new RegExp(`has schema version ${SCHEMA_VERSION}, which needs astotp for schema ${TOKENS_SCHEMA} or newer .*install a newer astotp`),
    );
    // The older CLI is refused the same way, and has written nothing.
    expect(spawnSync(process.execPath, [older, 'list'], { env: site.env, encoding: 'utf8' }).stderr).toMatch(/install a newer astotp/);
    expect(JSON.parse(site.cli(['log', '--json']).stdout).map((e: { result: string }) => e.result)).toEqual(['SUCCESS', 'SUCCESS']);
  }, 120_000);
});
