// Doctor's checks of the database and key file: they open, belong together,
// and the user Asterisk runs as can read and write them.
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { bindKey } from '../../auth/key-binding.js';
import { loadMasterKey } from '../../auth/master-key.js';
import { openSecret } from '../../auth/secret-box.js';
import type { Settings } from '../../config/settings.js';
import { SCHEMA_VERSION } from '../../store/schema.js';
import { Store } from '../../store/store.js';
import { nameOf } from '../../os/identity.js';
import { errorText, fail, pass, warn, type Check } from './check.js';

const mode = (st: Stats) => (st.mode & 0o777).toString(8).padStart(3, '0');

export function checkDatabaseAndKey(s: Settings): Check[] {
  const out: Check[] = [];
  const dbStat = lstatSync(s.db, { throwIfNoEntry: false });
  if (!dbStat) return [fail('database', `database ${s.db} does not exist (astotp init or astotp enroll creates it)`)];
  if (dbStat.mode & 0o004) out.push(warn('database', `${s.db} is readable by everyone (mode ${mode(dbStat)}); chmod 600 ${s.db}`));
  let store: Store;
  try {
    store = Store.open(s.db, { create: false, timeoutMs: s.dbTimeoutMs });
  } catch (err) {
    return [...out, fail('database', errorText(err))];
  }
  try {
    const version = store.db.pragma('user_version', { simple: true }) as number;
    const users = store.users.list();
    out.push(pass('database', `${s.db} opens; schema version ${version} of ${SCHEMA_VERSION}; ${users.length} user${users.length === 1 ? '' : 's'}`));
    // A FAIL, not a warning: these users are locked out of every call. Shorter codes are fine (ended with #).
    const longer = users.filter((u) => u.digits > s.digits).map((u) => u.id);
    if (longer.length) out.push(fail('digits', `calls take codes of up to ${s.digits} digits, so ${listed(longer)} cannot log in (longer codes); set digits = ${Math.max(...users.map((u) => u.digits))} in astotp.conf`));
    out.push(...checkKey(s, store, users));
  } finally {
    store.close();
  }
  return out;
}

function checkKey(s: Settings, store: Store, users: ReturnType<Store['users']['list']>): Check[] {
  const st = lstatSync(s.keyFile, { throwIfNoEntry: false });
  if (!st) return [fail('key', `key file ${s.keyFile} does not exist; without it no secret can be read`)];
  try {
    const key = loadMasterKey(s.keyFile);
    bindKey(store, key, s.keyFile, false);
    const broken = users.filter((u) => openSecret(key.secretKey, u.id, u.secret_box) === null).map((u) => u.id);
    if (broken.length) return [fail('key', `the secrets of ${listed(broken)} do not decrypt with ${s.keyFile}`)];
    return [pass('key', `${s.keyFile} has mode ${mode(st)} and belongs to the database`)];
  } catch (err) {
    return [fail('key', errorText(err))];
  }
}

/**
 * The files must be usable by the user Asterisk runs as, taken to be the
 * owner of Asterisk's var dir. Decided from owner and mode bits: access(2)
 * would answer for whoever runs doctor, not for Asterisk.
 */
export function checkOwnership(s: Settings, varDir: string): Check[] {
  const asterisk = lstatSync(varDir, { throwIfNoEntry: false });
  if (!asterisk?.isDirectory()) return [warn('owner', `${varDir} does not exist, so the user Asterisk runs as is unknown; set AST_VAR_DIR if it lives elsewhere`)];
  const who = `${nameOf(asterisk.uid) ?? `uid ${asterisk.uid}`} (owner of ${varDir})`;
  const targets: [string, boolean][] = [
    [dirname(s.db), true],
    [s.db, false],
    [`${s.db}-wal`, false],
    [`${s.db}-shm`, false],
    [s.keyFile, false],
  ];
  const problems: string[] = [];
  let checked = 0;
  for (const [path, isDir] of targets) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    checked++;
    const need = isDir ? 0o3 : 0o6; // directory: write+search for -wal/-shm; file: read+write
    if (!usable(st, asterisk.uid, asterisk.gid, need)) {
      problems.push(`${path} (owner ${nameOf(st.uid) ?? `uid ${st.uid}`}, mode ${mode(st)})`);
    }
  }
  if (problems.length) return [fail('owner', `${who} cannot ${problems.length === 1 ? 'use' : 'use these'}: ${problems.join(', ')}; chown them to that user`)];
  return [pass('owner', `${who} can read and write the ${checked} database and key paths present`)];
}

function usable(st: Stats, uid: number, gid: number, need: number): boolean {
  if (uid === 0) return true;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & need) === need;
}


function listed(ids: string[]): string {
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
}
