// Who the process is. Started as root, astotp must leave files owned by the
// user Asterisk runs as, the owner of the database's directory. The two ways
// of becoming that user stand side by side so their difference stays visible:
//
// - actAsDatabaseOwner: the admin commands switch the effective IDs only.
//   Short-lived and driven from a terminal, they keep nothing an attacker
//   could reach.
// - dropRootForGood: a long-running network server must not keep root's real
//   and saved IDs: code that took over the process could switch back.
//
// Both first run `loadNativeCode` as root, so native code (the SQLite addon)
// comes from root's own cache, never from one the owner could write to.
import { readFileSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../text/error-message.js';

export interface OwnerSwitch {
  /** Set when the process now acts as another user. */
  switchedTo: { uid: number; gid: number; name: string } | null;
  /** Set when running as root would leave files Asterisk cannot use. */
  warning: string | null;
}

/** Takes on the effective identity of the owner of dbPath's directory, when root. */
export function actAsDatabaseOwner(dbPath: string, loadNativeCode: () => void): OwnerSwitch {
  if (process.geteuid?.() !== 0) return { switchedTo: null, warning: null };
  const dir = dirname(dbPath);
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    return { switchedTo: null, warning: `directory ${dir} does not exist; create it owned by the user Asterisk runs as` };
  }
  if (st.uid === 0) {
    return {
      switchedTo: null,
      warning: `${dir} is owned by root, so files created there belong to root; Asterisk can use them only if it runs as root`,
    };
  }
  const name = nameOf(st.uid);
  try {
    loadNativeCode();
  } catch {
    // Reported when the database is opened; doctor wants to say it in its own line.
  }
  const before = { egid: process.getegid?.() ?? 0, groups: process.getgroups?.() ?? [] };
  try {
    // Drop root's supplementary groups first: only the owner's group remains.
    process.setgroups?.([st.gid]);
    process.setegid?.(st.gid);
    process.seteuid?.(st.uid);
  } catch (err) {
    return { switchedTo: null, warning: `cannot act as uid ${st.uid} (${errorMessage(err)}); fix ownership of ${dbPath} by hand` };
  }
  invoker = { ...before, owner: { uid: st.uid, gid: st.gid } };
  return { switchedTo: { uid: st.uid, gid: st.gid, name: name ?? String(st.uid) }, warning: null };
}

/** What actAsDatabaseOwner switched away from, and to; null while the process is itself. */
let invoker: { egid: number; groups: number[]; owner: { uid: number; gid: number } } | null = null;

/**
 * Runs fn as the user who started astotp, for the files the admin names
 * (an import's input, an export's output): root's CLI acts as the database
 * owner, who must neither read nor leave files the admin could not. Only
 * the effective IDs were switched, so they can go back for a moment. fn is
 * synchronous: nothing else (a database file SQLite opens) may run under
 * the wrong identity meanwhile.
 */
export function asInvokingUser<T>(fn: () => T): T {
  const was = invoker;
  if (was === null) return fn();
  // The user ID first: only root may set the groups.
  process.seteuid?.(process.getuid?.() ?? 0);
  // Inside the try: whatever fails from here on, the owner's identity comes back.
  try {
    process.setgroups?.(was.groups);
    process.setegid?.(was.egid);
    return fn();
  } finally {
    process.setgroups?.([was.owner.gid]);
    process.setegid?.(was.owner.gid);
    process.seteuid?.(was.owner.uid);
  }
}

/** Drops root for the owner of dbPath's directory; returns a warning when it stays root. */
export function dropRootForGood(dbPath: string, loadNativeCode: () => void): { uid: number; warning: string | null } {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0 && process.geteuid?.() !== 0) return { uid, warning: null };
  const dir = dirname(dbPath);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return { uid, warning: `directory ${dir} does not exist; serving as root` };
  if (st.uid === 0)
    return { uid, warning: `${dir} is owned by root, so the server keeps running as root; give it to the user Asterisk runs as` };
  try {
    loadNativeCode();
  } catch {
    // Reported per call, when the database is opened.
  }
  // Groups first: once the user ID is dropped, nothing else can be changed.
  process.setgroups?.([st.gid]);
  process.setgid?.(st.gid);
  process.setuid?.(st.uid);
  return { uid: st.uid, warning: null };
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
