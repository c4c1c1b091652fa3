// A throwaway PostgreSQL server for tests, from Debian's packages
// (scripts/need-debian-tools.sh installs them): initdb into a temp dir, then a
// postmaster on a unix socket in a directory of its own and on 127.0.0.1 at a
// port the OS picked, with a database `astotp` owned by a login role `astotp`
// that has a password (scram-sha-256 over TCP; trust on the socket, whose
// directory only the server's user may enter).
//
// PostgreSQL refuses to run as root: when the tests are root the server runs
// as the `postgres` user that Debian's packages create.
//
// How a server ends: stop() or kill() in a test; otherwise after its test
// file, before its data dir is removed (beforeTempRemoval), even when a test
// failed. If the vitest worker itself dies (killed, crashed), the kernel sends
// the postmaster SIGKILL (setpriv --pdeathsig) and its backends follow it
// (PostgreSQL's own watch for postmaster death); only the temp dir is left
// then, as with every other test's temp dir.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { beforeAll, describe, it } from 'vitest';
import { childrenOf, isRunning } from './processes.js';
import { beforeTempRemoval, tempDir } from './temp.js';
import { makeCa, makeServerCert } from './tls-certs.js';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const ROLE = 'astotp';
const DATABASE = 'astotp';
const SUPERUSER = 'postgres';
/** Generous: two shared cores, other suites running; a start takes well under a second. */
export const POSTGRES_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;
/** A port the OS handed out can be taken again before the server binds it. */
const PORT_TRIES = 5;

export interface PostgresOptions {
  /** ssl=on with a server certificate for localhost and 127.0.0.1 from a throwaway CA (caFile). */
  tls?: boolean;
}

export interface PostgresServer {
  /** postgres://astotp@127.0.0.1:PORT/astotp: the role's login over TCP, without its password. */
  readonly url: string;
  readonly role: string;
  readonly database: string;
  readonly password: string;
  /** Directory of the unix socket (a pg `host`); trust auth there. */
  readonly socketDir: string;
  readonly port: number;
  /** The CA that signed the server's certificate, with { tls: true }. */
  readonly caFile?: string;
  readonly dataDir: string;
  /** The postmaster's process id: a new one after restart(). */
  readonly pid: number;
  /** SQL as the superuser over the socket, in database astotp: for assertions. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Fast shutdown (clients are disconnected); nothing is removed. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster and its children at once, as a crash; resolves once they are gone. */
  kill(): Promise<void>;
  /** Starts again on the same data dir and port (stopping first if running); crash recovery runs after kill(). */
  restart(): Promise<void>;
}

/** The newest installed server's bin directory, or null. */
export function postgresBinDir(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'postgres')) && existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(PG_ROOT, versions[0], 'bin');
}

const asRoot = process.getuid?.() === 0;

/** uid and gid of the postgres user, or null when there is none. */
function serverUser(): { uid: number; gid: number } | null {
  const id = (flag: string) => spawnSync('id', [flag, SUPERUSER], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** Why no server can be started here, or null when one can. */
export function postgresUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the harness needs Linux (/proc, setpriv)';
  if (postgresBinDir() === null) return `no PostgreSQL server under ${PG_ROOT}/*/bin (scripts/need-debian-tools.sh installs it)`;
  if (spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).error) return 'setpriv (util-linux) is missing';
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).error) return 'openssl is missing';
  if (asRoot && serverUser() === null) return `running as root, and there is no ${SUPERUSER} user to run the server as`;
  return null;
}

/**
 * A describe block for suites that need a PostgreSQL server. Where none can
 * be started the suite fails under CI (set CI), and is otherwise skipped with
 * a warning that says why: never a silent pass.
 */
export function describePostgres(name: string, fn: () => void): void {
  const why = postgresUnavailable();
  if (why === null) {
    describe(name, fn);
    return;
  }
  if (process.env.CI) throw new Error(`${name}: PostgreSQL cannot run in CI: ${why}`);
  console.warn(`SKIPPED ${name}: no PostgreSQL server: ${why}`);
  describe(name, () => {
    it.skip(`needs a PostgreSQL server: ${why}`, () => {});
  });
}

/**
 * A server started before this describe block's tests (stopped after the
 * file): call the returned function in a test to get it.
 */
export function usePostgres(options: PostgresOptions = {}): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres(options);
  }, POSTGRES_START_TIMEOUT_MS);
  return () => {
    if (server === undefined) throw new Error('the PostgreSQL server did not start (see beforeAll)');
    return server;
  };
}

/** The command line that runs `command` as the server's user: setpriv, so PR_SET_PDEATHSIG can go with it. */
function asServer(command: string, args: string[], dieWithParent = false): [string, string[]] {
  const creds = asRoot ? [`--reuid=${SUPERUSER}`, `--regid=${SUPERUSER}`, '--init-groups'] : [];
  const death = dieWithParent ? ['--pdeathsig', 'KILL'] : [];
  return ['setpriv', [...creds, ...death, '--', command, ...args]];
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A postgresql.conf string literal. */
function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

type Own = (path: string) => void;

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const why = postgresUnavailable();
  if (why !== null) throw new Error(`cannot start PostgreSQL: ${why}`);
  const bin = postgresBinDir() as string;
  const owner = asRoot ? serverUser() : null;
  const own: Own = (path) => {
    if (owner !== null) chownSync(path, owner.uid, owner.gid);
  };

  const root = tempDir('astotp-pg-');
  own(root);
  const socketDir = join(root, 'socket');
  mkdirSync(socketDir, { mode: 0o700 });
  own(socketDir);
  const dataDir = join(root, 'data');
  const [cmd, args] = asServer(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    SUPERUSER,
    '--no-locale',
    '-E',
    'UTF8',
    '--no-sync',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
  ]);
  await run(cmd, args, { env: { ...process.env, LC_ALL: 'C' } });

  const tls = options.tls ? await tlsFiles(join(root, 'tls'), own) : null;
  appendFileSync(join(dataDir, 'postgresql.conf'), settings(socketDir, tls));
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n');

  const server = new Server(bin, root, dataDir, socketDir, tls?.ca);
  beforeTempRemoval(() => server.stop());
  await server.startOnFreePort();
  await server.createRoleAndDatabase();
  return server;
}

/** A throwaway CA and the server's certificate for localhost and 127.0.0.1, signed by it. */
async function tlsFiles(dir: string, own: Own): Promise<{ ca: string; cert: string; key: string }> {
  mkdirSync(dir, { mode: 0o755 });
  const ca = await makeCa(dir, 'astotp-test-ca');
  const server = await makeServerCert(ca, dir, 'server', { dns: ['localhost'], ip: ['127.0.0.1'] });
  // The server refuses a key others may read, and must own it to read it.
  chmodSync(server.key, 0o600);
  own(server.key);
  return { ca: ca.cert, ...server };
}

/** What postgresql.conf gets on top of initdb's. */
function settings(socketDir: string, tls: { cert: string; key: string } | null): string {
  const lines = [
    '# astotp tests: a throwaway server',
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = ${confString(socketDir)}`,
    'max_connections = 200',
    'shared_buffers = 16MB',
    // Losing this server's data to an OS crash costs nothing. synchronous_commit
    // stays on: what a client saw committed must outlive kill().
    'fsync = off',
    'full_page_writes = off',
    'wal_level = minimal',
    'max_wal_senders = 0',
    "lc_messages = 'C'",
  ];
  if (tls) lines.push('ssl = on', `ssl_cert_file = ${confString(tls.cert)}`, `ssl_key_file = ${confString(tls.key)}`);
  return `\n${lines.join('\n')}\n`;
}

class Server implements PostgresServer {
  readonly role = ROLE;
  readonly database = DATABASE;
  readonly password = randomBytes(18).toString('base64url');
  port = 0;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly logFile: string;

  constructor(
    private readonly bin: string,
    root: string,
    readonly dataDir: string,
    readonly socketDir: string,
    readonly caFile: string | undefined,
  ) {
    this.logFile = join(root, 'postgres.log');
  }

  get url(): string {
    return `postgres://${ROLE}@127.0.0.1:${this.port}/${DATABASE}`;
  }

  get pid(): number {
    if (this.proc?.pid === undefined) throw new Error('the PostgreSQL server is not running');
    return this.proc.pid;
  }

  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      const failure = await this.launch();
      if (failure === null) return;
      if (!/could not bind IPv4 address/.test(failure) || attempt === PORT_TRIES) {
        throw new Error(`PostgreSQL did not start:\n${failure}`);
      }
    }
  }

  async createRoleAndDatabase(): Promise<void> {
    await this.withClient('postgres', async (client) => {
      // Were CREATE ROLE to fail, the server would log the statement, password and all.
      await client.query("SET log_min_error_statement = 'panic'");
      await client.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD ${client.escapeLiteral(this.password)}`);
      await client.query(`CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);
    });
  }

  /** Starts the postmaster on this.port; null once it is ready, else what its log says. */
  private async launch(): Promise<string | null> {
    const logStart = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    const log = openSync(this.logFile, 'a');
    const [cmd, args] = asServer(join(this.bin, 'postgres'), ['-D', this.dataDir, '-p', String(this.port)], true);
    let proc: ChildProcess;
    try {
      // Its log goes to a file, not a pipe: a test blocked in a synchronous
      // call would stop reading a pipe, and the server would stall on a full one.
      proc = spawn(cmd, args, { stdio: ['ignore', log, log], env: { ...process.env, LC_ALL: 'C' } });
    } finally {
      closeSync(log);
    }
    let done = false;
    this.exited = new Promise<void>((resolve) => proc.once('exit', () => resolve())).finally(() => {
      done = true;
      if (this.proc === proc) this.proc = null;
    });
    this.proc = proc;
    const logSince = () => readFileSync(this.logFile, 'utf8').slice(logStart).trim();
    const deadline = Date.now() + POSTGRES_START_TIMEOUT_MS;
    while (!done) {
      if (this.ready(proc.pid)) return null;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await this.exited;
        return `not ready after ${POSTGRES_START_TIMEOUT_MS} ms:\n${logSince()}`;
      }
      await sleep(20);
    }
    return logSince() || 'it exited without a word';
  }

  /** postmaster.pid names this postmaster and says "ready" (what pg_ctl waits for). */
  private ready(pid: number | undefined): boolean {
    let lines: string[];
    try {
      lines = readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return false;
    }
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  }

  private async withClient<T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ host: this.socketDir, port: this.port, user: SUPERUSER, database });
    // A server killed under it makes the client emit 'error' as well as
    // reject the query; the rejection is what the caller sees.
    client.on('error', () => {});
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> {
    return this.withClient(DATABASE, async (client) => (await client.query<R>(sql, params)).rows);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    proc.kill('SIGINT');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
    if (!stopped) {
      proc.kill('SIGKILL');
      await this.exited;
      throw new Error(`PostgreSQL did not stop within ${STOP_GRACE_MS} ms: killed`);
    }
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc?.pid === undefined) return;
    // Stopped, the postmaster can neither start another backend nor see
    // (and restart after) the ones killed here.
    proc.kill('SIGSTOP');
    const children = childrenOf(proc.pid);
    for (const child of children) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // Already gone: it had exited while the list was being read.
      }
    }
    proc.kill('SIGKILL');
    await this.exited;
    // A new postmaster refuses to start while any old process holds the
    // shared memory, so restart() must not come before they are gone.
    while (children.some(isRunning)) await sleep(10);
  }

  async restart(): Promise<void> {
    await this.stop();
    const failure = await this.launch();
    if (failure !== null) throw new Error(`PostgreSQL did not start again on port ${this.port}:\n${failure}`);
  }
}
