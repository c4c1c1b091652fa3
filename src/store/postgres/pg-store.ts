// The PostgreSQL adapter: one bounded pool per process (a classic call uses
// one connection, a FastAGI server a few for all its calls). Write
// transactions run at READ COMMITTED with the rows they decide on locked
// (users.ts, counters.ts); a deadlock or serialization failure is rolled back
// and run again, a server that is down or goes away fails the transaction,
// and only a COMMIT that the server acknowledged returns a result.
import type pg from 'pg';
import { DEFAULT_TIMEOUT_MS, StoreError } from '../errors.js';
import { SCHEMA_VERSION } from '../schema.js';
import type { ExclusiveOptions, Store } from '../store.js';
import type { StoreTx } from '../tables.js';
import { postgresAudit } from './audit.js';
import { postgresApiTokens, postgresRoles } from './authority.js';
import { isLocal, parseDatabaseUrl, type ServerAddress, type SslMode } from './connection.js';
import { postgresThrottle, postgresUserCounters } from './counters.js';
import { postgresInvitations, postgresWebSessions } from './invitations.js';
import { postgresMeta } from './meta.js';
import { appliedVersion, migrate } from './migrate.js';
import { explainFailure, openPool, type PostgresOpenOptions, type Query } from './open-database.js';
import { postgresRecoveryCodes } from './recovery-code-rows.js';
import { postgresNotices } from './notices.js';
import { Slots } from './slots.js';
import { statementsOn } from './statements.js';
import { postgresTokens } from './tokens.js';
import { answerMs, DEFAULT_CONNECT_TIMEOUT_MS, oneTryMs, settleWithin, type PostgresTimeouts } from './timeouts.js';
import { postgresTransfer } from './transfer.js';
import { postgresUsers } from './users.js';

/** The tables seen through one connection; `write`: inside exclusive(), where reads lock. */
function tablesOn(q: Query, write: boolean): StoreTx {
  return {
    users: postgresUsers(q, write),
    tokens: postgresTokens(q, write),
    userCounters: postgresUserCounters(q, write),
    throttle: postgresThrottle(q, write),
    recoveryCodes: postgresRecoveryCodes(q),
    audit: postgresAudit(q),
    meta: postgresMeta(q),
    transfer: postgresTransfer(q),
    invitations: postgresInvitations(q, write),
    webSessions: postgresWebSessions(q),
    notices: postgresNotices(q),
    roles: postgresRoles(q, write),
    apiTokens: postgresApiTokens(q, write),
  };
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  retries = 0;
  private readonly slots: Slots;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly address: ServerAddress,
    private readonly timeouts: PostgresTimeouts,
    poolSize: number,
  ) {
    this.slots = new Slots(poolSize, timeouts.lockMs, address.name);
  }

  get name(): string {
    return this.address.name;
  }

  get sslmode(): SslMode {
    return this.address.sslmode;
  }

  /** On this machine (socket or loopback), where TLS protects nothing. */
  get isLocal(): boolean {
    return isLocal(this.address.host);
  }

  static async open(url: string, opts: PostgresOpenOptions): Promise<PostgresStore> {
    const address = parseDatabaseUrl(url, { insecureTls: opts.insecureTls ?? false });
    const timeouts = { lockMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, connectMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS };
    const poolSize = opts.poolSize ?? 1;
    const pool = openPool(address, poolSize, timeouts);
    const store = new PostgresStore(pool, address, timeouts, poolSize);
    try {
      await store.migrateIfNeeded(opts.create);
      return store;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  read<T>(fn: (t: StoreTx) => Promise<T>): Promise<T> {
    return this.withClient(async (q) => {
      await q('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const r = await fn(tablesOn(q, false));
      await q('COMMIT');
      return r;
    });
  }

  async exclusive<T>(fn: (t: StoreTx) => Promise<T>, opts: ExclusiveOptions = {}): Promise<T> {
    const inTransaction = async (q: Query) => {
      await q('BEGIN');
      const r = await fn(tablesOn(q, true));
      await q('COMMIT');
      return r;
    };
    if (opts.wait === false) return this.withClient(inTransaction, Date.now() + oneTryMs(this.timeouts));
    const deadline = Date.now() + this.timeouts.lockMs;
    for (;;) {
      try {
        return await this.withClient(inTransaction);
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'conflict') || Date.now() >= deadline) throw err;
        this.retries++;
      }
    }
  }

  async identity(): Promise<string> {
    return this.withClient(async (q) => {
      // The server's start time to the microsecond, its port and the database: one database of one running server.
      const r = await q<{ id: string }>(
        "SELECT concat_ws(':', pg_postmaster_start_time()::text, current_setting('port'), current_database()) AS id",
      );
      return `postgres:${r.rows[0]!.id}`;
    });
  }

  async schemaVersion(): Promise<number> {
    return this.withClient((q) => appliedVersion(q));
  }

  /** The server's clock, for doctor: TOTP breaks when a PBX's clock drifts from the one that records steps. */
  async serverTime(): Promise<{ unixMs: number; tls: boolean; version: string }> {
    return this.withClient(async (q) => {
      const r = await q<{ ms: string; tls: boolean | null; version: string }>(
        "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::text AS ms, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls, current_setting('server_version') AS version",
      );
      const row = r.rows[0]!;
      return { unixMs: Number(row.ms), tls: row.tls === true, version: row.version.split(' ')[0]! };
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async migrateIfNeeded(mayInitialise: boolean): Promise<void> {
    // The common case, a schema that is current, costs one query and no lock.
    if ((await this.schemaVersion()) === SCHEMA_VERSION) return;
    await this.withClient(async (q) => {
      await q('BEGIN');
      await migrate(q, this.name, mayInitialise);
      await q('COMMIT');
    });
  }

  /**
   * One connection for fn; rolled back and discarded when fn fails, so no
   * half-done transaction returns to the pool. Errors of the server or the
   * connection come out as StoreError; fn's own errors pass unchanged.
   * `deadline` (a one-try transaction): the time by which all of it,
   * waiting for a connection included, must be done.
   */
  private async withClient<T>(fn: (q: Query) => Promise<T>, deadline?: number): Promise<T> {
    const giveBack = await (deadline === undefined ? this.slots.take() : this.oneTryTurn(deadline));
    try {
      return await this.onClient(fn, deadline);
    } finally {
      giveBack();
    }
  }

  /** A one-try transaction waits for a turn no longer than any other (db_timeout), and only within its deadline. */
  private oneTryTurn(deadline: number): Promise<() => void> {
    const left = deadline - Date.now();
    return left < this.timeouts.lockMs ? this.slots.take(left, 'db_connect_timeout') : this.slots.take();
  }

  private async onClient<T>(fn: (q: Query) => Promise<T>, deadline?: number): Promise<T> {
    const oneTryLate = () =>
      new StoreError(
        `database server ${this.name} did not finish a one-try transaction within db_connect_timeout (${oneTryMs(this.timeouts) / 1000} s)`,
        'unreachable',
      );
    let client: pg.PoolClient;
    try {
      const connecting = this.pool.connect();
      client =
        deadline === undefined
          ? await connecting
          : await settleWithin(connecting, deadline - Date.now(), oneTryLate, (late) => late.release());
    } catch (err) {
      throw this.explain(err);
    }
    const { q, failure } = statementsOn(client, {
      answerMs: answerMs(this.timeouts),
      deadline,
      unanswered: () =>
        new StoreError(
          `database server ${this.name} did not answer within db_timeout + db_connect_timeout (${answerMs(this.timeouts) / 1000} s); its connection is closed`,
          'unreachable',
        ),
      late: oneTryLate,
      explain: (err) => this.explain(err),
    });
    try {
      const r = await fn(q);
      // fn may have caught a statement's failure; the transaction is lost all the same.
      const failed = failure();
      if (failed) throw failed;
      client.release();
      return r;
    } catch (err) {
      // A connection that failed mid-transaction is never reused: what it holds
      // is unknown. Released with an error, the pool closes it, also with a
      // statement still unanswered on it.
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  private explain(err: unknown): StoreError {
    return explainFailure(err, this.address, this.timeouts.lockMs);
  }
}
