// Another process holding a lock on the database: a call waits for it at
// most db_timeout, without stopping the FastAGI server's other calls, then
// fails closed with a sentence that says the database is busy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { CallResult } from './helpers/asterisk-peer.js';
import { DbLock } from './helpers/db-lock.js';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { CODE, ID, PIN } from './helpers/prompts.js';
import { AgiServer } from './helpers/serve-agi.js';
import { Site, totp } from './helpers/site.js';

const locks: DbLock[] = [];
const servers: AgiServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(locks.splice(0).map((l) => l.release()));
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function hold(db: string, who: 'writers' | 'everyone'): Promise<DbLock> {
  const lock = await DbLock.hold(db, who);
  locks.push(lock);
  return lock;
}

function site(dbTimeout: number): Site {
  const s = new Site();
  dirs.push(s.astDir);
  s.config({ timeout: 5, db_timeout: dbTimeout }, { nopin: { ask_pin: 'no' } });
  s.enroll('1001', '4321');
  s.enroll('1002', '4321');
  return s;
}

async function serve(s: Site): Promise<AgiServer> {
  const server = await AgiServer.start(s.env);
  servers.push(server);
  return server;
}

const busySentence = (s: Site, seconds: number) =>
  `database ${s.db} is busy: another process has held a lock longer than db_timeout (${seconds} s)`;

function expectBusyFailure(r: CallResult, s: Site, seconds: number): void {
  expectFailedClosed(r, 'error');
  expect(r.variables.ASTOTP_ERROR).toBe(busySentence(s, seconds));
  expect(r.commands.join('\n')).not.toMatch(/database is locked|SQLITE_BUSY/);
}

describe('a database locked by another process, over FastAGI', () => {
  it('keeps serving other calls while one waits for the lock', async () => {
    const s = site(20);
    const server = await serve(s);
    const lock = await hold(s.db, 'writers');
    const code = totp();
    const events: string[] = [];
    const typed = (event: string, digits: string, then?: () => void) => ({
      compute: () => {
        events.push(event);
        then?.();
        return digits;
      },
    });
    let aTyped!: () => void;
    const aReached = new Promise<void>((r) => (aTyped = r));
    // Code only (no PIN hash to wait for first) and an instant reply: A asks
    // for the lock as soon as its code is typed, before B can get anywhere.
    const a = fastAgiCall({
      port: server.port,
      args: ['profile=nopin', 'user=1001'],
      inputs: [typed('A code', code, aTyped)],
      replyDelayMs: 0,
      timeoutMs: 40_000,
    }).then((r) => {
      events.push('A ended');
      return r;
    });
    await aReached;
    // A needs the write lock, which only goes away after B's last prompt: B
    // gets that far only if the server goes on serving while A waits.
    const b = fastAgiCall({
      port: server.port,
      inputs: [typed('B id', '1002'), typed('B pin', '4321'), typed('B code', code, () => void lock.release())],
      timeoutMs: 40_000,
    });
    const [ra, rb] = await Promise.all([a, b]);
    expect(events.slice(0, 4)).toEqual(['A code', 'B id', 'B pin', 'B code']);
    expect(events).toContain('A ended');
    expect(rb.prompts).toEqual([ID, PIN, CODE]);
    for (const [r, user] of [
      [ra, '1001'],
      [rb, '1002'],
    ] as const) {
      expect(r.violations).toEqual([]);
      expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: user });
    }
  }, 60_000);

  it('fails each call the lock outlasts with the busy sentence, and serves again once it is gone', async () => {
    const s = site(1);
    const server = await serve(s);
    const lock = await hold(s.db, 'writers');
    const code = totp();
    const blocked = await Promise.all(['1001', '1002'].map((user) => fastAgiCall({ port: server.port, inputs: [user, '4321', code] })));
    for (const r of blocked) {
      expectBusyFailure(r, s, 1);
      // The error ends the call: no second try against a database that is not there.
      expect(r.prompts).toEqual([ID, PIN, CODE]);
    }
    // The server's log line is cut at 120 characters; a test site's path is long.
    expect(server.log.match(/FAILURE \(error: database .* is busy: another process has held a lock/g)).toHaveLength(2);
    await lock.release();
    const after = await fastAgiCall({ port: server.port, inputs: ['1001', '4321', code] });
    expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    expect(server.child.exitCode).toBeNull();
  });

  it('starts while even readers are locked out, fails calls with the busy sentence, then opens the database', async () => {
    const s = site(1);
    const lock = await hold(s.db, 'everyone');
    const server = await serve(s);
    expect(server.log).toContain(`warning: ${busySentence(s, 1)}`);
    const r = await fastAgiCall({ port: server.port, inputs: ['1001', '4321', totp()] });
    expectBusyFailure(r, s, 1);
    expect(r.prompts).toEqual([]);
    await lock.release();
    const after = await fastAgiCall({ port: server.port, inputs: ['1001', '4321', totp()] });
    expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  });
});

describe('a database locked by another process, classic AGI', () => {
  it('fails a call that needs the write lock with the busy sentence', async () => {
    const s = site(1);
    await hold(s.db, 'writers');
    const r = await s.call({ inputs: ['1001', '4321', totp()] });
    expectBusyFailure(r, s, 1);
    expect(r.prompts).toEqual([ID, PIN, CODE]);
    expect(r.stderr).toContain(busySentence(s, 1));
    expect(r.exitCode).toBe(0);
  });

  it('fails a call that cannot even open the database with the busy sentence, asking nothing', async () => {
    const s = site(1);
    await hold(s.db, 'everyone');
    const r = await s.call({ inputs: ['1001', '4321', totp()] });
    expectBusyFailure(r, s, 1);
    expect(r.prompts).toEqual([]);
    expect(r.exitCode).toBe(0);
  });
});

describe('Store waiting for a lock', () => {
  async function openStore(timeoutMs: number): Promise<SqliteStore> {
    const dir = mkdtempSync(join(tmpdir(), 'astotp-busy-'));
    dirs.push(dir);
    const path = join(dir, 'astotp.sqlite3');
    await SqliteStore.open(path, { create: true }).close();
    return SqliteStore.open(path, { create: false, timeoutMs, blocking: false });
  }

  it('leaves the event loop free while it waits, and runs the transaction once the lock is gone', async () => {
    const store = await openStore(20_000);
    const lock = await hold(store.name, 'writers');
    let ticks = 0;
    const ticker = setInterval(() => {
      // The first tick proves the wait did not block; then the lock goes.
      if (++ticks === 1) void lock.release();
    }, 1);
    let ran = 0;
    try {
      await store.exclusive(async (t) => {
        ran++;
        await t.meta.set('probe', String(ticks));
      });
    } finally {
      clearInterval(ticker);
      await store.close();
    }
    expect(ran).toBe(1);
    expect(ticks).toBeGreaterThan(0);
  });

  it('gives up after timeoutMs with a busy StoreError, without running the transaction', async () => {
    const store = await openStore(300);
    await hold(store.name, 'writers');
    let ran = false;
    const failed = store.exclusive(async () => (ran = true));
    await expect(failed).rejects.toMatchObject({
      code: 'busy',
      message: `database ${store.name} is busy: another process has held a lock longer than db_timeout (0.3 s)`,
    });
    // In WAL mode readers are not kept out by a writer.
    await expect(store.read((t) => t.users.count())).resolves.toBe(0);
    await store.close();
    expect(ran).toBe(false);
  });
});
