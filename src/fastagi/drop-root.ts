// The admin commands run as root act as the database's owner through the
// effective user ID only (store/run-as-owner.ts). A long-running network
// server must not keep root's real and saved IDs that way: code that took
// over the process could switch back. Started as root, the server becomes the
// owner of the database's directory for good, before it accepts anything.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { preloadSqliteAddon } from '../store/open-database.js';

/** Drops root for the owner of dbPath's directory; returns a warning when it stays root. */
export function dropRootForGood(dbPath: string): { uid: number; warning: string | null } {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0 && process.geteuid?.() !== 0) return { uid, warning: null };
  const dir = dirname(dbPath);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return { uid, warning: `directory ${dir} does not exist; serving as root` };
  if (st.uid === 0) return { uid, warning: `${dir} is owned by root, so the server keeps running as root; give it to the user Asterisk runs as` };
  try {
    // Native code from root's own cache, not one the owner could write to.
    preloadSqliteAddon();
  } catch {
    // Reported per call, when the database is opened.
  }
  // Groups first: once the user ID is dropped, nothing else can be changed.
  process.setgroups?.([st.gid]);
  process.setgid?.(st.gid);
  process.setuid?.(st.uid);
  return { uid: st.uid, warning: null };
}
