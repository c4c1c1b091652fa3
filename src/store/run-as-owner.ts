// An admin usually runs the CLI as root, but the database, its -wal/-shm files
// and the key file must belong to the user Asterisk runs as. Rather than chown
// each file SQLite may create later, the process takes on the identity of the
// owner of the directory that holds the database.
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { preloadSqliteAddon } from './open-database.js';

export interface OwnerSwitch {
  /** Set when the process now acts as another user. */
  switchedTo: { uid: number; gid: number; name: string } | null;
  /** Set when running as root would leave files Asterisk cannot use. */
  warning: string | null;
}

export function actAsDatabaseOwner(dbPath: string): OwnerSwitch {
  if (process.geteuid?.() !== 0) return { switchedTo: null, warning: null };
  const dir = dirname(dbPath);
  let st;
  try {
    st = statSync(dir);
  } catch {
    return { switchedTo: null, warning: `directory ${dir} does not exist; create it owned by the user Asterisk runs as` };
  }
  if (st.uid === 0) {
    return { switchedTo: null, warning: `${dir} is owned by root, so files created there belong to root; Asterisk can use them only if it runs as root` };
  }
  const name = nameOf(st.uid);
  try {
    preloadSqliteAddon();
  } catch {
    // Reported when the database is opened; doctor wants to say it in its own line.
  }
  try {
    // Drop root's supplementary groups first: only the owner's group remains.
    process.setgroups?.([st.gid]);
    process.setegid?.(st.gid);
    process.seteuid?.(st.uid);
  } catch (err) {
    return { switchedTo: null, warning: `cannot act as uid ${st.uid} (${(err as Error).message}); fix ownership of ${dbPath} by hand` };
  }
  return { switchedTo: { uid: st.uid, gid: st.gid, name: name ?? String(st.uid) }, warning: null };
}

/** The login name of uid from /etc/passwd; userInfo() only describes the current user. */
export function nameOf(uid: number): string | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    return line ? line.split(':')[0]! : null;
  } catch {
    return null;
  }
}
