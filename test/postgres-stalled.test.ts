// A PostgreSQL server or backend that stops answering in the middle of a call
// (SIGSTOP: the kernel still takes the bytes, nothing answers). README's bound,
// stalledCallMs in src/store/postgres/timeouts.ts, holds through the built
// bundle, classic and serve-agi: the call ends FAILURE (error) within it, the
// stopped connection is closed and never handed out again, and nothing the
// stopped transaction did is committed.
import { expect, it, vi } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { answerMs, oneTryMs, stalledCallMs } from '../src/store/postgres/timeouts.js';
import type { Store } from '../src/store/store.js';
import type { CallInput, CallResult } from './helpers/asterisk-peer.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { freshDatabase, PgSite, queryDatabase } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { AgiServer } from './helpers/serve-agi.js';
import { SECRET, totp } from './helpers/site.js';
import { astotpBackends, StoppedProcesses } from './helpers/stopped-backends.js';
import { socketUrl } from './helpers/stores.js';

vi.setConfig({ testTimeout: 60_000 });

/** db_timeout and db_connect_timeout at their least, 1 s each: the bound is 3 s. */
const TIMEOUTS = { lockMs: 1_000, connectMs: 1_000 };
/** What a call does besides waiting for the database (the rest of the AGI dialogue, the exit), on a loaded machine. */
const CALL_SLACK_MS = 1_500;

const since = (t0: number) => Date.now() - t0;
/** What `pending` failed with; null when it did not. */
const failureOf = (pending: Promise<unknown>) =>
  pending.then(
    () => null,
    (err: unknown) => err,
  );
let dbs = 0;

describePostgres('a PostgreSQL backend that stops answering', () => {
  const server = usePostgres();
  const stopped = new StoppedProcesses();

  async function newDatabase(): Promise<{ name: string; url: string }> {
    const name = `stalled_${process.pid}_${++dbs}`;
    await freshDatabase(server(), name);
    return { name, url: socketUrl(server(), name) };
  }

  async function newStore(url: string): Promise<Store> {
    return openStore(url, { create: true, poolSize: 1, timeoutMs: TIMEOUTS.lockMs, connectTimeoutMs: TIMEOUTS.connectMs });
  }

  const lastSuccess = async (store: Store) => (await store.read((t) => t.users.get('1001')))?.last_success;

  it('fails a statement it leaves unanswered in db_timeout + db_connect_timeout, closes its connection, never reuses it and commits nothing', async () => {
    const { name, url } = await newDatabase();
    const store = await newStore(url);
    try {
      await store.exclusive((t) => t.users.insert({ id: '1001', pin_hash: null }));
      let frozen: number[] = [];
      let t0 = 0;
      const failed = await failureOf(
        store.exclusive(async (t) => {
          await t.users.get('1001'); // the row is locked now, by the backend about to stop
          frozen = stopped.stop(astotpBackends(server(), name));
          t0 = Date.now();
          await t.users.recordLogin('1001', 42);
        }),
      );
      const took = since(t0);
      expect(failed).toMatchObject({
        code: 'unreachable',
        message: expect.stringMatching(/did not answer within db_timeout \+ db_connect_timeout \(2 s\)/),
      });
      expect(took).toBeGreaterThanOrEqual(answerMs(TIMEOUTS) - 10);
      expect(took).toBeLessThan(answerMs(TIMEOUTS) + CALL_SLACK_MS);

      // The pool's one connection was the stopped one: reads work at once on a new one.
      expect(await lastSuccess(store)).toBeNull();
      const now = astotpBackends(server(), name);
      expect(now).toHaveLength(2);
      expect(now).toEqual(expect.arrayContaining(frozen));

      // Continued, the backend finds its socket closed, rolls back and exits, long before idle_in_transaction_session_timeout (10 s).
      stopped.resume();
      await vi.waitFor(() => expect(astotpBackends(server(), name)).not.toEqual(expect.arrayContaining(frozen)), {
        timeout: 5_000,
        interval: 50,
      });
      expect(await lastSuccess(store)).toBeNull();
      await store.exclusive((t) => t.users.recordLogin('1001', 43));
      expect(await lastSuccess(store)).toBe(43);
    } finally {
      stopped.resume();
      await store.close();
    }
  });

  it('gives a one-try transaction db_connect_timeout in all', async () => {
    const { name, url } = await newDatabase();
    const store = await newStore(url);
    try {
      // The pool keeps the connection the open used; its backend stops.
      stopped.stop(astotpBackends(server(), name));
      const t0 = Date.now();
      const failed = await failureOf(store.exclusive((t) => t.audit.list(), { wait: false }));
      const took = since(t0);
      expect(failed).toMatchObject({
        code: 'unreachable',
        message: expect.stringMatching(/did not finish a one-try transaction within db_connect_timeout \(1 s\)/),
      });
      expect(took).toBeGreaterThanOrEqual(oneTryMs(TIMEOUTS) - 10);
      expect(took).toBeLessThan(answerMs(TIMEOUTS));
    } finally {
      stopped.resume();
      await store.close();
    }
  });

  /** A PBX whose database is `name` on the server, db_timeout and db_connect_timeout at 1 s, user 1001 enrolled. */
  async function newSite(): Promise<{ site: PgSite; name: string }> {
    const name = `stalled_${process.pid}_${++dbs}`;
    const site = new PgSite(server(), await freshDatabase(server(), name));
    site.config({ db_timeout: TIMEOUTS.lockMs / 1000, db_connect_timeout: TIMEOUTS.connectMs / 1000, db_pool: 1 });
    site.enroll('1001', '4321', SECRET);
    return { site, name };
  }

  /** The caller types `code`, and just then `stop()` stops what it names; resolves with the call and the time from the stop to its end. */
  async function stalledCall(place: (inputs: CallInput[]) => Promise<CallResult>, code: string, stop: () => number[]) {
    let t0 = 0;
    const r = await place([
      '1001',
      '4321',
      {
        compute: () => {
          stop();
          t0 = Date.now();
          return code;
        },
      },
    ]);
    return { r, took: since(t0) };
  }

  const failedClosed = (r: CallResult) => {
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.setLog[0]).toEqual(['ASTOTP', 'FAILURE']);
    expect(r.variables.ASTOTP_ERROR).toMatch(/did not answer within db_timeout \+ db_connect_timeout/);
  };

  it('ends a classic call FAILURE within db_timeout + 2 × db_connect_timeout, and its code stays good', async () => {
    const { site, name } = await newSite();
    const code = totp();
    const { r, took } = await stalledCall(
      (inputs) => site.call({ inputs }),
      code,
      () => stopped.stop(astotpBackends(server(), name)),
    );
    failedClosed(r);
    expect(took).toBeLessThan(stalledCallMs(TIMEOUTS) + CALL_SLACK_MS);
    expect(r.stderr).not.toMatch(/DeprecationWarning/);
    // Its audit row went through a new connection; the stopped one is still there, stopped.
    const rows = await queryDatabase<{ reason: string }>(server(), site.url, "SELECT reason FROM audit WHERE source = 'agi'");
    expect(rows).toEqual([{ reason: 'error' }]);
    // Nothing counted as used: the same code logs in, with the backend still stopped.
    expect((await site.call({ inputs: ['1001', '4321', code] })).variables).toMatchObject({ ASTOTP: 'SUCCESS' });
    stopped.resume();
    expect((await site.call({ inputs: ['1001', '4321', code] })).variables.ASTOTP_REASON).toBe('bad-credentials');
  });

  it('ends a classic call within the bound when the whole server stops, its audit row lost', async () => {
    const { site } = await newSite();
    const code = totp();
    const { r, took } = await stalledCall(
      (inputs) => site.call({ inputs }),
      code,
      () => stopped.stopServer(server()),
    );
    failedClosed(r);
    // The stopped statement's answerMs, then the audit row's connection in db_connect_timeout.
    expect(took).toBeGreaterThanOrEqual(stalledCallMs(TIMEOUTS) - 10);
    expect(took).toBeLessThan(stalledCallMs(TIMEOUTS) + CALL_SLACK_MS);
    stopped.resume();
    expect(await queryDatabase(server(), site.url, "SELECT reason FROM audit WHERE source = 'agi'")).toEqual([]);
    expect((await site.call({ inputs: ['1001', '4321', code] })).variables).toMatchObject({ ASTOTP: 'SUCCESS' });
  });

  it('ends a serve-agi call within the bound and serves the next call on a new connection (db_pool 1)', async () => {
    const { site, name } = await newSite();
    const agi = await AgiServer.start({ ...site.env, AST_CONFIG_DIR: site.confDir });
    try {
      // The server's one pooled connection is open and idle when the call comes.
      expect((await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', '000000'] })).variables.ASTOTP).toBe('FAILURE');
      const code = totp();
      const { r, took } = await stalledCall(
        (inputs) => fastAgiCall({ port: agi.port, inputs }),
        code,
        () => stopped.stop(astotpBackends(server(), name)),
      );
      failedClosed(r);
      expect(took).toBeLessThan(stalledCallMs(TIMEOUTS) + CALL_SLACK_MS);
      // A stopped connection handed out again would hold this call until it failed the same way.
      expect((await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', code] })).variables).toMatchObject({ ASTOTP: 'SUCCESS' });
      stopped.resume();
    } finally {
      stopped.resume();
      await agi.stop();
    }
    expect(agi.log).toMatch(/FAILURE \(error: database server \S+ did not answer within db_timeout \+ db_connect_timeout/);
    expect(agi.log).not.toMatch(/DeprecationWarning/);
  });
});
