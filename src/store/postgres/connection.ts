// A `db = postgres://...` URL read as libpq reads it, turned into node-postgres
// settings, with the TLS rules a security engineer expects. node-postgres is
// not libpq: without an ssl setting it never uses TLS, and its 'require'
// does not fall back to plain text as libpq's 'prefer' does; so every
// sslmode is mapped here by hand, and a remote server without certificate
// verification needs the admin to say so (db_insecure_tls = yes).
import { readFileSync, type Stats, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { StoreError } from '../errors.js';
import { PASSWORD_IN_URL, urlHasPassword, WHERE_THE_PASSWORD_GOES } from '../location.js';
import { errorMessage } from '../../text/error-message.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface ServerAddress {
  /** A host name, an IP address, or the directory of a unix socket. */
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  sslrootcert: string | null;
  passfile: string | null;
  /** How messages name the server: the URL without query or password. */
  name: string;
}

export interface TlsPolicy {
  /** db_insecure_tls: a remote server may be reached without certificate verification. */
  insecureTls: boolean;
}

/** Stands in for the missing host of postgres://user@/db while URL parses it. */
const NO_HOST = 'astotp-no-host.invalid';

const KNOWN_PARAMS = new Set(['sslmode', 'sslrootcert', 'host', 'port', 'dbname', 'user', 'passfile', 'application_name']);
const SSL_MODES = new Set(['disable', 'require', 'verify-ca', 'verify-full']);

/** Reads the URL; throws StoreError with a sentence that never holds a password. */
export function parseDatabaseUrl(url: string, policy: TlsPolicy, env: NodeJS.ProcessEnv = process.env): ServerAddress {
  // Checked before anything can repeat the URL in a message.
  if (urlHasPassword(url)) {
    throw new StoreError(`db: ${PASSWORD_IN_URL}`);
  }
  const redact = (v: string) => v.replace(/\?.*$/s, '');
  let u: URL;
  // libpq's postgres://user@/db?host=/dir names no host before the path; URL needs one.
  const hostless = /^postgres(ql)?:\/\/([^/@?#]*@)?(?=[/?]|$)/i.exec(url);
  try {
    u = new URL(hostless ? `${hostless[0]}${NO_HOST}${url.slice(hostless[0].length)}` : url);
  } catch {
    throw new StoreError(`db: ${redact(url)} is not a valid postgres:// URL`);
  }
  for (const key of u.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(key))
      throw new StoreError(`db: unknown parameter ${key} in ${redact(url)} (known: ${[...KNOWN_PARAMS].join(', ')})`);
  }
  const param = (k: string) => u.searchParams.get(k) ?? null;
  const named = u.hostname === NO_HOST ? '' : decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1');
  const host = param('host') ?? (named || '/var/run/postgresql');
  const port = Number(param('port') ?? (u.port || 5432));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new StoreError(`db: port ${param('port') ?? u.port} in ${redact(url)} is not a port number`);
  const database = param('dbname') ?? decodeURIComponent(u.pathname.replace(/^\//, ''));
  const user = param('user') ?? decodeURIComponent(u.username);
  if (!database) throw new StoreError(`db: ${redact(url)} names no database (postgres://USER@HOST:PORT/DBNAME)`);
  if (!user) throw new StoreError(`db: ${redact(url)} names no user (postgres://USER@HOST:PORT/DBNAME)`);
  const local = isLocal(host);
  const given = param('sslmode');
  if (given !== null && !SSL_MODES.has(given)) {
    const why = given === 'prefer' || given === 'allow' ? ' (it would fall back to plain text without telling anyone)' : '';
    throw new StoreError(`db: sslmode=${given} is not supported${why}; use disable, require, verify-ca or verify-full`);
  }
  const sslmode = (given ?? (local ? 'disable' : 'verify-full')) as SslMode;
  if (!local && sslmode !== 'verify-full' && !policy.insecureTls) {
    throw new StoreError(
      `db: sslmode=${sslmode} to ${host} would not check whose server it is (anyone on the path could read and change replay marks and lockouts); use sslmode=verify-full with sslrootcert=, or set db_insecure_tls = yes in astotp.conf`,
    );
  }
  const name = `postgres://${user}@${host.startsWith('/') || host.includes(':') ? `[${host}]` : host}:${port}/${database}`;
  return {
    host,
    port,
    database,
    user,
    sslmode,
    sslrootcert: param('sslrootcert'),
    passfile: param('passfile') ?? env.PGPASSFILE ?? null,
    name,
  };
}

/** A server on this machine: a unix socket or a loopback address, where nobody else is on the path. */
export function isLocal(host: string): boolean {
  if (host.startsWith('/')) return true;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** node-postgres's ssl setting for the mode; false is no TLS at all. */
export function tlsOptions(a: ServerAddress): false | ConnectionOptions {
  if (a.sslmode === 'disable') return false;
  if (a.sslmode === 'require') return { rejectUnauthorized: false };
  const ca = a.sslrootcert === null || a.sslrootcert === 'system' ? undefined : readTrusted(a.sslrootcert, 'sslrootcert');
  const opts: ConnectionOptions = { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  // Node checks the name against the server's certificate; for an IP address it must be told which one.
  if (a.sslmode === 'verify-full') return { ...opts, servername: isIP(a.host) ? undefined : a.host, host: a.host };
  return { ...opts, checkServerIdentity: () => undefined };
}

/**
 * The password as libpq finds it: PGPASSWORD, else the first matching line
 * of the passfile (passfile=, PGPASSFILE, ~/.pgpass). Asked only when the
 * server wants one.
 */
export function findPassword(a: ServerAddress, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPASSWORD) return env.PGPASSWORD;
  const file = a.passfile ?? `${env.HOME || homedir()}/.pgpass`;
  let st: Stats | undefined;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    throw new StoreError(`passfile ${file} cannot be read by uid ${process.geteuid?.() ?? '?'}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (!st)
    throw new StoreError(
      `${a.name} asks for a password and none was found (no PGPASSWORD, no file ${file}). It goes in ${WHERE_THE_PASSWORD_GOES}`,
    );
  if (st.mode & 0o077)
    throw new StoreError(`passfile ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 ${file}`);
  // libpq matches a socket connection as localhost.
  const host = a.host.startsWith('/') ? 'localhost' : a.host;
  for (const line of readTrusted(file, 'passfile').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = splitPassLine(line);
    if (f.length < 5) continue;
    const want = [host, String(a.port), a.database, a.user];
    if (want.every((w, i) => f[i] === '*' || f[i] === w)) return f[4]!;
  }
  throw new StoreError(`${a.name} asks for a password and ${file} has no line for it (host:port:database:user:password)`);
}

/** Fields split on ':' with libpq's backslash escapes (\: and \\). */
function splitPassLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) field += line[++i]!;
    else if (c === ':' && out.length < 4) out.push(field), (field = '');
    else field += c;
  }
  out.push(field);
  return out;
}

function readTrusted(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new StoreError(`${what} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}
