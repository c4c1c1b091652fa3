// Doctor's checks of the database and key file: they open, belong together,
// and the user Asterisk runs as can read and write them.
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { checkKeyFile, tokensTheKeyCannotOpen } from '../../auth/key-check.js';
import { appTokenUser } from '../../auth/tokens.js';
import type { Settings } from '../../config/settings.js';
import { isPostgresUrl } from '../../store/location.js';
import { openStore } from '../../store/open-store.js';
import { SCHEMA_VERSION } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { PostgresStore } from '../../store/postgres/pg-store.js';
import type { TokenRow, UserRow } from '../../store/tables.js';
import { nameOf } from '../../os/identity.js';
import { counted } from '../format.js';
import { errorText, fail, pass, warn, type Check, type DoctorSite } from './check.js';
import { offsetCheck } from './clock.js';

/** What opening the database gave: a SQLite file that is not there, an error, or the store and its users. */
export type OpenedDatabase =
  | { state: 'absent'; message: string }
  | { state: 'failed'; message: string }
  | { state: 'open'; store: Store; version: number; users: UserRow[]; tokens: TokenRow[] };

const permissions = (st: Stats) => (st.mode & 0o777).toString(8).padStart(3, '0');

/**
 * Opens the database the settings name, once: the database, key and digits
 * checks each look at what it gave, so a database that does not open still
 * leaves the key file checked.
 */
export function databaseOpener(s: Settings): { open: () => Promise<OpenedDatabase>; close: () => Promise<void> } {
  let opened: Promise<OpenedDatabase> | undefined;
  const open = async (): Promise<OpenedDatabase> => {
    if (!isPostgresUrl(s.db) && !lstatSync(s.db, { throwIfNoEntry: false }))
      return { state: 'absent', message: `database ${s.db} does not exist (astotp init or astotp enroll creates it)` };
    let store: Store;
    try {
      store = await openStore(s.db, {
        create: false,
        timeoutMs: s.dbTimeoutMs,
        connectTimeoutMs: s.dbConnectTimeoutMs,
        insecureTls: s.dbInsecureTls,
      });
    } catch (err) {
      return { state: 'failed', message: errorText(err) };
    }
    try {
      const version = await store.schemaVersion();
      const { users, tokens } = await store.read(async (t) => ({ users: await t.users.list(), tokens: await t.tokens.list() }));
      return { state: 'open', store, version, users, tokens };
    } catch (err) {
      await store.close();
      return { state: 'failed', message: errorText(err) };
    }
  };
  return {
    open: () => (opened ??= open()),
    close: async () => {
      const db = await opened;
      if (db?.state === 'open') await db.store.close();
    },
  };
}

export async function checkDatabase(site: DoctorSite): Promise<Check[]> {
  const s = site.settings;
  const out: Check[] = [];
  if (!isPostgresUrl(s.db)) {
    const dbStat = lstatSync(s.db, { throwIfNoEntry: false });
    if (dbStat && dbStat.mode & 0o004)
      out.push(warn('database', `${s.db} is readable by everyone (mode ${permissions(dbStat)}); chmod 600 ${s.db}`));
  }
  const db = await site.database();
  if (db.state !== 'open') return [...out, fail('database', db.message)];
  const { store, version, users } = db;
  out.push(pass('database', `${store.name} opens; schema version ${version} of ${SCHEMA_VERSION}; ${counted(users.length, 'user')}`));
  if (store.kind === 'postgres') out.push(...(await checkServer(store as PostgresStore, s)));
  return out;
}

/** A FAIL, not a warning: these tokens open no call. Shorter codes are fine (ended with #). */
export async function checkDigits(site: DoctorSite): Promise<Check[]> {
  const db = await site.database();
  if (db.state !== 'open') return [];
  const why = tooManyDigits(db.tokens, site.settings.digits);
  return why === null ? [] : [fail('digits', why)];
}

/**
 * Why some of these tokens open no call, whose code prompt takes up to
 * `digits` digits (digits in astotp.conf), or null; said by doctor and by a
 * restore, which brings in tokens enrolled under another site's settings.
 */
export function tooManyDigits(tokens: readonly Pick<TokenRow, 'user_id' | 'kind' | 'serial' | 'digits'>[], digits: number): string | null {
  const longer = tokens.filter((k) => k.user_id !== null && k.digits > digits);
  if (!longer.length) return null;
  const named = longer.map((k) => (k.kind === 'app' ? k.user_id! : `${k.user_id} (token ${k.serial})`));
  return `calls take codes of up to ${digits} digits, so ${listed(named)} cannot log in (longer codes); set digits = ${Math.max(...longer.map((k) => k.digits))} in astotp.conf`;
}

/**
 * TLS and the clock. A PBX whose clock is off accepts codes the phone has not
 * shown yet or refuses the current one; the database server's clock is the
 * one every PBX sharing it can be compared with.
 */
async function checkServer(store: PostgresStore, s: Settings): Promise<Check[]> {
  const sent = Date.now();
  const server = await store.serverTime();
  const back = Date.now();
  const offsetMs = Math.round(server.unixMs - (sent + back) / 2);
  const out = [tlsCheck(store, server.tls, server.version)];
  out.push(offsetCheck("the database server's", offsetMs, s.period));
  return out;
}

function tlsCheck(store: PostgresStore, tls: boolean, version: string): Check {
  const on = `${store.name} (PostgreSQL ${version})`;
  if (store.isLocal) return pass('tls', `${on} is on this machine, where TLS is not needed${tls ? ' (in use all the same)' : ''}`);
  if (!tls) return warn('tls', `connection to ${on} is not encrypted (sslmode=disable, allowed by db_insecure_tls)`);
  if (store.sslmode === 'verify-full')
    return pass('tls', `connection to ${on} is encrypted; the server's certificate and name are verified`);
  const unchecked = store.sslmode === 'verify-ca' ? "the server's name is not checked" : "the server's certificate is not checked";
  return warn(
    'tls',
    `connection to ${on} is encrypted, but ${unchecked} (sslmode=${store.sslmode}, allowed by db_insecure_tls): use sslmode=verify-full`,
  );
}

/**
 * The key file on its own (there, a regular file, mode 0600, an astotp key),
 * then against the database when that opened: its key check and every
 * user's secret.
 */
export async function checkKey(site: DoctorSite): Promise<Check[]> {
  const s = site.settings;
  const db = await site.database();
  const st = lstatSync(s.keyFile, { throwIfNoEntry: false });
  if (!st) {
    // A site not set up yet: init and enroll create both; the database line says so.
    if (db.state === 'absent') return [];
    return [fail('key', `key file ${s.keyFile} does not exist; without it no secret can be read`)];
  }
  // The file on its own first (there, mode 0600, an astotp key), so it is judged also without a database.
  try {
    checkKeyFile(s.keyFile);
  } catch (err) {
    return [fail('key', errorText(err))];
  }
  if (db.state !== 'open')
    return [pass('key', `${s.keyFile} has mode ${permissions(st)}; not compared with the database, which did not open`)];
  let broken: string[];
  try {
    broken = (await tokensTheKeyCannotOpen(db.store, s.keyFile, db.tokens)).map((serial) => appTokenUser(serial) ?? `token ${serial}`);
  } catch (err) {
    return [fail('key', errorText(err))];
  }
  if (broken.length) return [fail('key', `the secrets of ${listed(broken)} do not decrypt with ${s.keyFile}`)];
  return [pass('key', `${s.keyFile} has mode ${permissions(st)} and belongs to the database`)];
}

/**
 * The files must be usable by the user Asterisk runs as, taken to be the
 * owner of Asterisk's var dir. Decided from owner and mode bits: access(2)
 * would answer for whoever runs doctor, not for Asterisk.
 */
export function checkOwnership(s: Settings, varDir: string): Check[] {
  const asterisk = lstatSync(varDir, { throwIfNoEntry: false });
  if (!asterisk?.isDirectory())
    return [warn('owner', `${varDir} does not exist, so the user Asterisk runs as is unknown; set AST_VAR_DIR if it lives elsewhere`)];
  const who = `${nameOf(asterisk.uid) ?? `uid ${asterisk.uid}`} (owner of ${varDir})`;
  const sqlite: [string, boolean][] = isPostgresUrl(s.db)
    ? []
    : [
        [dirname(s.db), true],
        [s.db, false],
        [`${s.db}-wal`, false],
        [`${s.db}-shm`, false],
      ];
  const targets: [string, boolean][] = [...sqlite, [s.keyFile, false]];
  const problems: string[] = [];
  let checked = 0;
  for (const [path, isDir] of targets) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    checked++;
    const need = isDir ? 0o3 : 0o6; // directory: write+search for -wal/-shm; file: read+write
    if (!usable(st, asterisk.uid, asterisk.gid, need)) {
      problems.push(`${path} (owner ${nameOf(st.uid) ?? `uid ${st.uid}`}, mode ${permissions(st)})`);
    }
  }
  if (problems.length)
    return [fail('owner', `${who} cannot ${problems.length === 1 ? 'use' : 'use these'}: ${problems.join(', ')}; chown them to that user`)];
  return [
    pass(
      'owner',
      `${who} can read and write the ${checked === 1 ? 'one database or key path' : `${checked} database and key paths`} present`,
    ),
  ];
}

function usable(st: Stats, uid: number, gid: number, need: number): boolean {
  if (uid === 0) return true;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & need) === need;
}

function listed(ids: string[]): string {
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
}
