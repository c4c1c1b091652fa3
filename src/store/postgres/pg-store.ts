// The PostgreSQL adapter: one bounded pool per process (a classic call uses
// one connection, a FastAGI server a few for all its calls). Write
// transactions run at READ COMMITTED with the rows they decide on locked
// (tables.ts); a deadlock or serialization failure is rolled back and run
// again, a server that is down or goes away fails the transaction, and only a
// COMMIT that the server acknowledged returns a result.
import pg from 'pg';
import { busyError, DEFAULT_TIMEOUT_MS, StoreError } from '../errors.js';
import type { ExclusiveOptions, OpenOptions, Store } from '../store.js';
import type { StoreTx } from '../tables.js';
import { findPassword, isLocal, parseDatabaseUrl, tlsOptions, type ServerAddress, type SslMode } from './connection.js';
import { SCHEMA_VERSION } from '../schema.js';
import { appliedVersion, migrate } from './migrate.js';
import { Slots } from './slots.js';
import { postgresTables, type Query } from './tables.js';

export interface PostgresOpenOptions extends OpenOptions {
  /** db_connect_timeout: how long to wait for the server to answer a new connection. */
  connectTimeoutMs?: number;
  /** db_insecure_tls: a remote server may be reached without certificate verification. */
  insecureTls?: boolean;
  /** Connections at most; a classic call needs one. */
  poolSize?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

/** SQLSTATEs after which running the transaction again is the right thing: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);
/** The server is going away or not there: admin_shutdown, crash_shutdown, cannot_connect_now. */
const GONE = new Set(['57P01', '57P02', '57P03']);

const INT8_OID = 20;

/**
 * A client that closes its socket when it fails to connect. node-postgres
 * leaves it open when the password cannot be found (passfile unreadable, no
 * line for the server): the server keeps the half-made login, and a
 * connection slot, until its authentication_timeout (a minute by default),
 * and the CLI cannot exit before then.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | undefined {
    if (callback === undefined) return new Promise((resolve, reject) => this.connect((err) => (err ? reject(err) : resolve(this))));
    super.connect((err: Error) => {
      if (err) this.connection.stream.destroy();
      callback(err);
    });
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  retries = 0;
  private readonly slots: Slots;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly address: ServerAddress,
    private readonly timeoutMs: number,
    poolSize: number,
  ) {
    this.slots = new Slots(poolSize, timeoutMs, address.name);
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
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const connectMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const pool = new pg.Pool({
      Client: ClosingClient,
      host: address.host,
      port: address.port,
      database: address.database,
      user: address.user,
      password: async () => findPassword(address),
      ssl: tlsOptions(address),
      application_name: 'astotp',
      max: opts.poolSize ?? 1,
      connectionTimeoutMillis: connectMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      // A server that stops answering mid-query must not hold a call: the
      // lock wait is db_timeout's, the rest is the connection's.
      query_timeout: timeoutMs + connectMs,
      lock_timeout: timeoutMs,
      // A process that stops mid-transaction (SIGSTOP, a hung PBX) must not hold users' rows for long.
      idle_in_transaction_session_timeout: Math.max(10_000, 2 * (timeoutMs + connectMs)),
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // A pooled connection the server dropped while idle (a restart) reports here; the pool replaces it on the next use.
    pool.on('error', () => undefined);
    // A connection that dies while checked out (mid-query, or between a
    // transaction's queries) also emits 'error' on the client, which nothing
    // would catch: the query in flight, or the next one, rejects and the
    // transaction fails closed as it should; the event itself needs no more.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PostgresStore(pool, address, timeoutMs, opts.poolSize ?? 1);
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
      const r = await fn(postgresTables(q, false));
      await q('COMMIT');
      return r;
    });
  }

  async exclusive<T>(fn: (t: StoreTx) => Promise<T>, opts: ExclusiveOptions = {}): Promise<T> {
    const deadline = opts.wait === false ? 0 : Date.now() + this.timeoutMs;
    for (;;) {
      try {
        return await this.withClient(async (q) => {
          await q('BEGIN');
          const r = await fn(postgresTables(q, true));
          await q('COMMIT');
          return r;
        });
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
   */
  private async withClient<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const giveBack = await this.slots.take();
    try {
      return await this.onClient(fn);
    } finally {
      giveBack();
    }
  }

  private async onClient<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.explain(err);
    }
    const q: Query = (sql, params) =>
      client.query(sql, params).catch((err: unknown) => {
        throw this.explain(err);
      });
    try {
      const r = await fn(q);
      client.release();
      return r;
    } catch (err) {
      // A connection that failed mid-transaction is never reused: what it holds is unknown.
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /**
   * Sentences an admin can act on, naming the server but never a password;
   * decided by class and code. An error of the server carries its SQLSTATE
   * (pg.DatabaseError); TLS and socket errors carry Node's codes; what
   * node-postgres reports of a connection that timed out, ended or broke has
   * no code at all, and always means the server could not be talked to.
   */
  private explain(err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
    if (err instanceof pg.DatabaseError) {
      if (code === '55P03') return busyError(this.name, this.timeoutMs, err);
      if (RETRYABLE.has(code))
        return new StoreError(
          `database ${this.name} stayed in conflict with other PBXs' transactions for db_timeout (${this.timeoutMs / 1000} s): ${msg}`,
          'conflict',
          { cause: err },
        );
      if (GONE.has(code)) return new StoreError(`database server ${this.name} is unreachable: ${msg}`, 'unreachable', { cause: err });
      if (code.startsWith('28')) return new StoreError(`database ${this.name} refused the login: ${msg}`, null, { cause: err });
      return new StoreError(`database ${this.name}: ${msg} (SQLSTATE ${code})`, null, { cause: err });
    }
    if (/^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|HOSTNAME_)/.test(code)) {
      return new StoreError(`TLS to ${this.name} failed (sslmode=${this.address.sslmode}): ${msg}`, null, { cause: err });
    }
    return new StoreError(`database server ${this.name} is unreachable: ${msg}`, 'unreachable', { cause: err });
  }
}
