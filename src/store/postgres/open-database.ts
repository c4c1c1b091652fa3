// Opens the pool of connections to a PostgreSQL database with the settings
// every caller relies on, and turns node-postgres' failures into sentences an
// admin can act on. Schema migrations are migrate.ts's.
import pg, { type QueryResultRow } from 'pg';
import { busyError, StoreError } from '../errors.js';
import type { OpenOptions } from '../store.js';
import { findPassword, tlsOptions, type ServerAddress } from './connection.js';
import { idleInTransactionMs, type PostgresTimeouts } from './timeouts.js';
import { errorMessage } from '../../text/error-message.js';

export interface PostgresOpenOptions extends OpenOptions {
  /** db_connect_timeout: how long to wait for the server to answer a new connection. */
  connectTimeoutMs?: number;
  /** db_insecure_tls: a remote server may be reached without certificate verification. */
  insecureTls?: boolean;
  /** Connections at most; a classic call needs one. */
  poolSize?: number;
}

/** A statement on one connection, parameters bound ($1), never spliced. */
export type Query = <R extends QueryResultRow>(sql: string, params?: unknown[]) => Promise<{ rows: R[]; rowCount: number | null }>;

/** SQLSTATEs after which running the transaction again is the right thing: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);
/** The server is going away or not there: admin_shutdown, crash_shutdown, cannot_connect_now. */
const GONE = new Set(['57P01', '57P02', '57P03']);

const INT8_OID = 20;

/**
 * A client that closes its connection when it fails to connect. The pool
 * drops such a client without ending it, and node-postgres leaves the socket
 * open when the password cannot be found (passfile unreadable, no line for
 * the server): the server would keep the half-made login, and a connection
 * slot, until its authentication_timeout (a minute by default), and the CLI
 * could not exit before then. end() is the client's public way to close it;
 * on a connection that already broke it does nothing.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | undefined {
    if (callback === undefined) return new Promise((resolve, reject) => this.connect((err) => (err ? reject(err) : resolve(this))));
    super.connect((err: Error) => {
      if (err) void this.end();
      callback(err);
    });
  }
}

export function openPool(address: ServerAddress, poolSize: number, timeouts: PostgresTimeouts): pg.Pool {
  const pool = new pg.Pool({
    Client: ClosingClient,
    host: address.host,
    port: address.port,
    database: address.database,
    user: address.user,
    password: async () => findPassword(address),
    ssl: tlsOptions(address),
    application_name: 'astotp',
    max: poolSize,
    connectionTimeoutMillis: timeouts.connectMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    // How long a statement may go unanswered is pg-store.ts's to enforce (timeouts.ts says how long).
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: idleInTransactionMs(timeouts),
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
  return pool;
}

/**
 * Sentences an admin can act on, naming the server but never a password;
 * decided by class and code. An error of the server carries its SQLSTATE
 * (pg.DatabaseError); TLS and socket errors carry Node's codes; what
 * node-postgres reports of a connection that timed out, ended or broke has
 * no code at all, and always means the server could not be talked to.
 */
export function explainFailure(err: unknown, address: ServerAddress, timeoutMs: number): StoreError {
  if (err instanceof StoreError) return err;
  const name = address.name;
  const msg = errorMessage(err);
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
  if (err instanceof pg.DatabaseError) {
    if (code === '55P03') return busyError(name, timeoutMs, err);
    if (RETRYABLE.has(code))
      return new StoreError(
        `database ${name} stayed in conflict with other PBXs' transactions for db_timeout (${timeoutMs / 1000} s): ${msg}`,
        'conflict',
        { cause: err },
      );
    if (GONE.has(code)) return new StoreError(`database server ${name} is unreachable: ${msg}`, 'unreachable', { cause: err });
    if (code.startsWith('28')) return new StoreError(`database ${name} refused the login: ${msg}`, null, { cause: err });
    return new StoreError(`database ${name}: ${msg} (SQLSTATE ${code})`, null, { cause: err });
  }
  if (/^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|HOSTNAME_)/.test(code)) {
    return new StoreError(`TLS to ${name} failed (sslmode=${address.sslmode}): ${msg}`, null, { cause: err });
  }
  return new StoreError(`database server ${name} is unreachable: ${msg}`, 'unreachable', { cause: err });
}
