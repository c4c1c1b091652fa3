// Every tunable of astotp, its default, and how the config file, the
// environment and per-call arguments override it.
import { hostname } from 'node:os';
import { CODE_DIGITS_DEFAULT, CODE_DIGITS_MAX } from '../pbotp/limits.js';
import { parsePublicKey } from '../pbotp/keys.js';
import { checkLoginField } from '../pbotp/login.js';
import { checkBaseUrl } from '../pbotp/url.js';
import type { Algorithm } from '../totp/algorithm.js';
import { isPostgresUrl, PASSWORD_IN_URL, urlHasPassword } from '../store/location.js';
import { parseClockSource, type ClockSource } from './clock-source.js';
import { readConf, type ConfSection } from './conf-file.js';
import { didYouMean } from '../text/nearest-name.js';
import { configPath, defaultDbPath, defaultKeyPath } from './paths.js';
import { errorMessage } from '../text/error-message.js';

export type { Algorithm };

/** totp: user ID, PIN and TOTP code; pbotp: user ID and a response to a spoken challenge. */
type Mode = 'totp' | 'pbotp';

export interface Settings {
  db: string;
  keyFile: string;
  /** Where the settings came from, for doctor and error messages. */
  configFile: string | null;
  tries: number;
  idTimeoutMs: number;
  pinTimeoutMs: number;
  codeTimeoutMs: number;
  idMaxDigits: number;
  pinMaxDigits: number;
  askPin: boolean;
  answer: boolean;
  /** Steps of clock drift accepted either side of now. */
  window: number;
  /** HOTP counter values a code is looked for in, from a fob's counter on. */
  hotpWindow: number;
  lockoutFailures: number;
  lockoutMinutes: number;
  /** Right-PIN failures in a row that lock a user until an admin unlocks it (auth/lockout.ts). */
  lockoutMaxFailures: number;
  /** The longest a lock escalated by a right-PIN streak lasts. */
  lockoutMaxMinutes: number;
  /** Prompts are played as `${sounds}/astotp-...`, relative to the language's sounds dir. */
  sounds: string;
  issuer: string;
  digits: 6 | 8;
  algorithm: Algorithm;
  period: number;
  /** Where a call's user ID comes from; the default is the ID prompt. */
  user: UserSource;
  /**
   * After a verified login the call asks for a new PIN twice and stores it
   * (a profile's change_pin); SUCCESS only once it is stored.
   */
  changePin: boolean;
  mode: Mode;
  /** The pbotp authority's public key, parsed and checked at load; required in pbotp mode. */
  pbotpPubkey: Uint8Array | null;
  /** Device group the authority decides on; required in pbotp mode. */
  pbotpGroup: string | null;
  /** This PBX's name in the challenge's login data. */
  pbotpHost: string;
  /** Length of the response code the caller types. */
  pbotpDigits: number;
  /** Base URL of the responder, checked at load; when set, phones that show text get the challenge URL. */
  pbotpUrl: string | null;
  /** How long to wait for the response code after the challenge, also between its digits. */
  pbotpTimeoutMs: number;
  /** Call profiles of astotp.conf ([NAME] with type = profile), checked at load, applied per call. */
  profiles: ReadonlyMap<string, Profile>;
  /** How long a call (or the CLI) waits for a lock another process holds on the database. */
  dbTimeoutMs: number;
  /** PostgreSQL: how long to wait for the server to accept a connection. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: a remote server may be reached without certificate verification (sslmode below verify-full). */
  dbInsecureTls: boolean;
  /** PostgreSQL: connections a FastAGI server keeps at most; a classic call uses one. */
  dbPoolSize: number;
  /** This PBX's name in the audit log (several PBXs may share one database). */
  pbxName: string;
  /** A server doctor compares the clock with; none by default. */
  clockSource: ClockSource | null;
}

/**
 * Typed at the ID prompt; the caller ID number, which astotp reads itself
 * (agi_callerid) and checks; or one ID named by the admin.
 */
export type UserSource = { from: 'prompt' } | { from: 'callerid' } | { from: 'fixed'; id: string };

/** A profile's settings as written, in file order, each with where it was written. */
export interface Profile {
  name: string;
  entries: ReadonlyArray<readonly [key: string, value: string, where: string]>;
}

export class SettingsError extends Error {
  /** Each problem on its own (doctor lists them all); the message joins them. */
  readonly problems: string[];

  constructor(problems: string | string[], options?: { cause?: unknown }) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '), options);
    this.name = 'SettingsError';
    this.problems = list;
  }
}

const seconds = (min: number, max: number) => (v: string) => Math.round(int(min, max)(v) * 1000);

export function int(min: number, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new SettingsError(`expected a whole number from ${min} to ${max}`);
    return Number(v);
  };
}

export function bool(v: string): boolean {
  if (/^(yes|true|on|1)$/i.test(v)) return true;
  if (/^(no|false|off|0)$/i.test(v)) return false;
  throw new SettingsError('expected yes or no');
}

function oneOf<T extends string>(...allowed: T[]) {
  return (v: string): T => {
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (!hit) throw new SettingsError(`expected one of ${allowed.join(', ')}`);
    return hit;
  };
}

function soundPath(v: string): string {
  if (!/^[A-Za-z0-9_\-/]{1,64}$/.test(v) || v.split('/').includes('..'))
    throw new SettingsError('expected a relative directory name of letters, digits, - _ /');
  return v.replace(/\/+$/, '');
}

/** A profile's `user`: written by the admin, so any enrolled ID may be named. */
function userSource(v: string): UserSource {
  if (/^ask$/i.test(v)) return { from: 'prompt' };
  if (/^callerid$/i.test(v)) return { from: 'callerid' };
  if (!/^[0-9A-Za-z+_.@-]{1,64}$/.test(v)) throw new SettingsError('expected ask, callerid or a user ID of letters, digits and + _ . @ -');
  return { from: 'fixed', id: v };
}

/** Values the pbotp library reads itself, as it reads them; its messages never hold key material. */
function parsed<T>(parse: (v: string) => T) {
  return (v: string): T => {
    try {
      return parse(v);
    } catch (err) {
      throw new SettingsError(errorMessage(err), { cause: err });
    }
  };
}

/** Values the pbotp library checks, kept as written. */
function checked(check: (v: string) => unknown) {
  return (v: string): string => {
    parsed(check)(v);
    return v;
  };
}

function clockSource(v: string): ClockSource {
  try {
    return parseClockSource(v);
  } catch (err) {
    throw new SettingsError(errorMessage(err), { cause: err });
  }
}

/** A name for logs: what a host name may hold, so it prints the same everywhere. */
function pbxName(v: string): string {
  const name = v.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new SettingsError('expected 1 to 64 letters, digits, dots, - and _');
  return name;
}

/** A URL is checked in full when it is opened; a password in it is refused here, before anything can print it. */
function databaseUrl(v: string, where?: string): string {
  if (!urlHasPassword(v)) return v;
  throw new SettingsError(where ? `${where}: ${PASSWORD_IN_URL}` : PASSWORD_IN_URL);
}

// New users' code parameters: one rule each, for astotp.conf, enroll's and
// reset's options and the lines of astotp import alike.
export const codeDigits = (v: string): 6 | 8 => Number(oneOf('6', '8')(v)) as 6 | 8;
export const codeAlgorithm = (v: string): Algorithm => oneOf<Algorithm>('SHA1', 'SHA256', 'SHA512')(v);
export const codePeriod = (v: string): number => int(15, 300)(v);

/**
 * The name authenticator apps show: the otpauth:// label is "issuer:user",
 * so a colon would move the split. One rule for astotp.conf and --issuer.
 */
export function issuerName(v: string): string {
  if (v.length === 0 || v.length > 64 || v.includes(':')) throw new SettingsError('expected 1 to 64 characters, without ":"');
  return v;
}

function path(v: string): string {
  if (!v.startsWith('/')) throw new SettingsError('expected an absolute path');
  return v;
}

/**
 * Each HOTP value looked at is one more code a guess may hit: 20 is already
 * 6.7 times what the default TOTP window accepts (README's security model).
 */
export const HOTP_WINDOW_MAX = 20;

type Setter = (s: Settings, v: string) => void;

/** Keys of [general] in astotp.conf. */
const CONF_KEYS: Record<string, Setter> = {
  db: (s, v) => (s.db = isPostgresUrl(v) ? databaseUrl(v) : path(v)),
  key_file: (s, v) => (s.keyFile = path(v)),
  tries: (s, v) => (s.tries = int(1, 10)(v)),
  timeout: (s, v) => (s.idTimeoutMs = s.pinTimeoutMs = s.codeTimeoutMs = seconds(1, 120)(v)),
  id_timeout: (s, v) => (s.idTimeoutMs = seconds(1, 120)(v)),
  pin_timeout: (s, v) => (s.pinTimeoutMs = seconds(1, 120)(v)),
  code_timeout: (s, v) => (s.codeTimeoutMs = seconds(1, 120)(v)),
  id_max_digits: (s, v) => (s.idMaxDigits = int(1, 32)(v)),
  pin_max_digits: (s, v) => (s.pinMaxDigits = int(4, 32)(v)),
  ask_pin: (s, v) => (s.askPin = bool(v)),
  answer: (s, v) => (s.answer = bool(v)),
  window: (s, v) => (s.window = int(0, 10)(v)),
  hotp_window: (s, v) => (s.hotpWindow = int(1, HOTP_WINDOW_MAX)(v)),
  lockout_failures: (s, v) => (s.lockoutFailures = int(1, 1000)(v)),
  lockout_minutes: (s, v) => (s.lockoutMinutes = int(1, 525600)(v)),
  // NIST SP 800-63B §5.2.2 caps consecutive failed attempts at 100.
  lockout_max_failures: (s, v) => (s.lockoutMaxFailures = int(1, 100)(v)),
  lockout_max_minutes: (s, v) => (s.lockoutMaxMinutes = int(1, 525600)(v)),
  sounds: (s, v) => (s.sounds = soundPath(v)),
  issuer: (s, v) => (s.issuer = issuerName(v)),
  digits: (s, v) => (s.digits = codeDigits(v)),
  algorithm: (s, v) => (s.algorithm = codeAlgorithm(v)),
  period: (s, v) => (s.period = codePeriod(v)),
  mode: (s, v) => (s.mode = oneOf<Mode>('totp', 'pbotp')(v)),
  pbotp_pubkey: (s, v) => (s.pbotpPubkey = parsed(parsePublicKey)(v.trim())),
  pbotp_group: (s, v) => (s.pbotpGroup = checked((g) => checkLoginField('group', g))(v)),
  pbotp_host: (s, v) => (s.pbotpHost = checked((h) => checkLoginField('host', h))(v)),
  pbotp_digits: (s, v) => (s.pbotpDigits = int(1, CODE_DIGITS_MAX)(v)),
  pbotp_url: (s, v) => (s.pbotpUrl = parsed(checkBaseUrl)(v)),
  pbotp_timeout: (s, v) => (s.pbotpTimeoutMs = seconds(1, 600)(v)),
  db_timeout: (s, v) => (s.dbTimeoutMs = seconds(1, 60)(v)),
  db_connect_timeout: (s, v) => (s.dbConnectTimeoutMs = seconds(1, 60)(v)),
  db_insecure_tls: (s, v) => (s.dbInsecureTls = bool(v)),
  db_pool: (s, v) => (s.dbPoolSize = int(1, 1000)(v)),
  pbx_name: (s, v) => (s.pbxName = pbxName(v)),
  clock_source: (s, v) => (s.clockSource = clockSource(v)),
};

/**
 * What a profile may change: how a call asks, never the site's rules
 * (window, hotp_window, lockout, database, keys, new users' parameters), so no profile
 * can hand a guesser more tries at a user than another one does.
 */
const PROFILE_KEYS: Record<string, Setter> = {
  ...pick(
    CONF_KEYS,
    'tries',
    'timeout',
    'id_timeout',
    'pin_timeout',
    'code_timeout',
    'id_max_digits',
    'pin_max_digits',
    'ask_pin',
    'answer',
    'sounds',
    'mode',
  ),
  ...pick(CONF_KEYS, 'pbotp_group', 'pbotp_digits', 'pbotp_url', 'pbotp_timeout'),
  user: (s, v) => (s.user = userSource(v)),
  change_pin: (s, v) => (s.changePin = bool(v)),
};

function pick(table: Record<string, Setter>, ...keys: string[]): Record<string, Setter> {
  return Object.fromEntries(keys.map((k) => [k, table[k]!]));
}

export function defaults(env: NodeJS.ProcessEnv = process.env): Settings {
  const db = env.ASTOTP_DB || defaultDbPath(env);
  return {
    db,
    keyFile: defaultKeyPath(db),
    configFile: null,
    tries: 3,
    idTimeoutMs: 10_000,
    pinTimeoutMs: 10_000,
    codeTimeoutMs: 10_000,
    idMaxDigits: 10,
    pinMaxDigits: 12,
    askPin: true,
    answer: true,
    window: 1,
    hotpWindow: 5,
    lockoutFailures: 5,
    lockoutMinutes: 15,
    lockoutMaxFailures: 100,
    lockoutMaxMinutes: 1440,
    sounds: 'otp',
    issuer: 'Asterisk',
    digits: 6,
    algorithm: 'SHA1',
    period: 30,
    user: { from: 'prompt' },
    changePin: false,
    mode: 'totp',
    pbotpPubkey: null,
    pbotpGroup: null,
    pbotpHost: hostname(),
    pbotpDigits: CODE_DIGITS_DEFAULT,
    pbotpUrl: null,
    pbotpTimeoutMs: 60_000,
    profiles: new Map(),
    dbTimeoutMs: 2_000,
    dbConnectTimeoutMs: 3_000,
    dbInsecureTls: false,
    dbPoolSize: 10,
    // A host name Node reports may hold anything; the audit column must not.
    pbxName:
      hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 64) || 'pbx',
    clockSource: null,
  };
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit config path (--config); a missing explicit file is an error. */
  config?: string;
  /** Explicit database path (--db) and key file (--key); they beat the config file. */
  db?: string;
  keyFile?: string;
}

/**
 * Defaults, then astotp.conf, then ASTOTP_DB / ASTOTP_KEY, then explicit
 * options. Any unknown key or bad value is an error: a silently ignored typo
 * in a security setting is worse than a refused call.
 */
export function loadSettings(opts: LoadOptions = {}): Settings {
  const env = opts.env ?? process.env;
  const s = defaults(env);
  const file = opts.config ?? configPath(env);
  // Sections other parts of astotp read are not read here at all (their problems are theirs).
  const conf = readConf(file, (section) => section === null || !SEPARATE_SECTIONS.includes(section));
  if (!conf && opts.config) throw new SettingsError(`config file ${file} does not exist`);
  let keyFromConf: string | null = null;
  if (conf) {
    s.configFile = file;
    // Every problem, not just the first: doctor lists them all, each with its line.
    const problems = [...conf.problems];
    const profiles = new Map<string, Profile>();
    for (const [name, section] of conf.sections) {
      const at = `${file}:${conf.sectionLines.get(name)}`;
      if (name !== 'general') {
        try {
          profiles.set(name, readProfile(name, section, at, file));
        } catch (err) {
          problems.push(errorMessage(err));
        }
        continue;
      }
      for (const [key, { value, line }] of section) {
        try {
          apply(CONF_KEYS, s, key, value, `${file}:${line}: ${key}`);
        } catch (err) {
          problems.push(errorMessage(err));
        }
      }
      if (section.has('key_file')) keyFromConf = s.keyFile;
    }
    // Checked against [general] now, so a bad profile fails every call at once, not the first call that names it.
    for (const p of profiles.values()) {
      const scratch = { ...s };
      for (const [key, value, where] of p.entries) {
        try {
          apply(PROFILE_KEYS, scratch, key, value, `${where} ${key}`);
        } catch (err) {
          problems.push(errorMessage(err));
        }
      }
      const weak = pinChangeProblem(scratch);
      if (weak) problems.push(`${p.entries.find(([key]) => key === 'change_pin')![2]} change_pin: ${weak}`);
    }
    if (problems.length) throw new SettingsError(problems);
    s.profiles = profiles;
  }
  const dbOverride = opts.db || env.ASTOTP_DB;
  if (dbOverride && isPostgresUrl(dbOverride)) databaseUrl(dbOverride, opts.db ? '--db' : 'ASTOTP_DB');
  s.db = dbOverride || s.db;
  // The key file sits next to whichever database won, unless one was named.
  const namedKey = opts.keyFile || env.ASTOTP_KEY || keyFromConf;
  if (!namedKey && isPostgresUrl(s.db)) {
    throw new SettingsError(
      `db is a PostgreSQL URL, so key_file must be set (astotp.conf, --key or ASTOTP_KEY): every PBX sharing the database needs a copy of the same key file, and its directory's owner is the user astotp runs as`,
    );
  }
  s.keyFile = namedKey || defaultKeyPath(s.db);
  return s;
}

const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Sections of astotp.conf that other parts of astotp read on their own
 * (web-settings.ts, notify-settings.ts), never as a call's settings: a typo
 * there never fails one.
 */
const SEPARATE_SECTIONS: readonly string[] = ['web', 'notify'];

function readProfile(name: string, section: ConfSection, at: string, file: string): Profile {
  const type = section.get('type');
  if (type === undefined)
    throw new SettingsError(
      `${at}: [${name}]: unknown section (a call profile says type = profile; settings for every call go in [general])`,
    );
  if (type.value.toLowerCase() !== 'profile')
    throw new SettingsError(`${file}:${type.line}: [${name}]: type = ${type.value.slice(0, 32)} is not known (expected type = profile)`);
  if (!PROFILE_NAME.test(name))
    throw new SettingsError(
      `${at}: [${name}]: a profile name is 1 to 32 lower-case letters, digits, - and _, starting with a letter or digit`,
    );
  const entries = [...section].filter(([key]) => key !== 'type').map(([key, e]) => [key, e.value, `${file}:${e.line}: [${name}]`] as const);
  return { name, entries };
}

/**
 * Why a call cannot change the PIN with these settings, or null: the new PIN
 * needs a login that checked the old one (a pbotp call asks for no PIN).
 */
function pinChangeProblem(s: Settings): string | null {
  if (!s.changePin) return null;
  if (s.mode === 'pbotp') return 'a pbotp call asks for no PIN, so it cannot change one (change_pin needs mode = totp)';
  if (!s.askPin) return 'a login without the PIN cannot set a new one (change_pin needs ask_pin = yes)';
  return null;
}

/** The settings of a call that runs with profile `p`: [general], then the profile. */
export function applyProfile(s: Settings, p: Profile): Settings {
  const out = { ...s };
  for (const [key, value, where] of p.entries) apply(PROFILE_KEYS, out, key, value, `${where} ${key}`);
  return out;
}

function apply(table: Record<string, Setter>, s: Settings, key: string, value: string, where: string): void {
  const set = table[key];
  if (!set)
    throw new SettingsError(`${where}: unknown setting${didYouMean(key, Object.keys(table))} (known: ${Object.keys(table).join(', ')})`);
  try {
    set(s, value);
  } catch (err) {
    throw new SettingsError(`${where}: ${errorMessage(err)}`);
  }
}

/**
 * The file whose directory's owner astotp acts as when started as root: the
 * SQLite database, or with PostgreSQL (no database directory) the key file.
 */
export function ownerAnchor(s: Settings): string {
  return isPostgresUrl(s.db) ? s.keyFile : s.db;
}
