// Messages for the admin from the PAM steps. pam_exec shows a child's stdout
// and stderr to the person logging in, so nothing for the admin may go
// there: it goes to syslog (authpriv, where sshd and su log) through
// logger, named by its absolute path because pam_exec gives no PATH. Where
// no syslog daemon listens (no /dev/log, as in many containers), pam_exec
// would leave every failure unexplained, so the line goes to a file in the
// state directory instead: root's and 0600 like the challenges beside it,
// one whole line per append (O_APPEND: lines of steps running at once never
// interleave), and renamed to .1 once it passes its bound, so a stream of
// failed logins cannot fill the disk.
import { closeSync, constants, fstatSync, lstatSync, openSync, renameSync, type Stats, writeSync } from 'node:fs';
import { join } from 'node:path';
import { syslogSync } from '../os/syslog.js';
import { ensureStateDir } from './challenge-state.js';
import { DEFAULT_STATE_DIR } from './parameters.js';

const ADMIN_LOG_FILE = 'astotp-pam.log';
/** The file is renamed to ADMIN_LOG_FILE.1 (replacing the one before) beyond this. */
const ADMIN_LOG_MAX_BYTES = 256 * 1024;

let logDir = DEFAULT_STATE_DIR;

/** Where the file goes when syslog cannot take a line: the state directory of the pam_exec line. */
export function useAdminLogDir(dir: string): void {
  logDir = dir;
}

/** One line for the admin, as astotp-pam; never a response, code or key. */
export function adminLog(message: string): void {
  const line = message.replace(/\s+/g, ' ');
  if (toSyslog(line)) return;
  // A state_dir that is refused is no place for the file; the default one may be.
  for (const dir of new Set([logDir, DEFAULT_STATE_DIR])) if (toFile(dir, line)) return;
}

/** false when no syslog daemon took the line. */
function toSyslog(line: string): boolean {
  return syslogSync({ tag: 'astotp-pam', priority: 'authpriv.notice', line });
}

/** false when the directory or the file cannot be trusted or written. */
function toFile(dir: string, line: string): boolean {
  try {
    ensureStateDir(dir);
    const path = join(dir, ADMIN_LOG_FILE);
    const text = Buffer.from(`${new Date().toISOString()} astotp-pam[${process.pid}]: ${line}\n`);
    // The inode of a file too full for this line, or null once the line is in.
    const full = withLog(path, (fd, st) => {
      if (st.size + text.length > ADMIN_LOG_MAX_BYTES) return st.ino;
      writeSync(fd, text);
      return null;
    });
    if (full === undefined) return false;
    if (full === null) return true;
    // Of steps that found it full at once, one renames it; the others find the new file.
    if (inodeOf(path) === full) renameSync(path, `${path}.1`);
    return withLog(path, (fd) => writeSync(fd, text)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Runs `use` on the log opened for appending (created if missing);
 * undefined, and `use` not run, when it is not a private regular file of
 * ours. A link is never followed.
 */
function withLog<T>(path: string, use: (fd: number, st: Stats) => T): T | undefined {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.uid === process.geteuid?.() && (st.mode & 0o077) === 0 ? use(fd, st) : undefined;
  } finally {
    closeSync(fd);
  }
}

function inodeOf(path: string): number | null {
  try {
    return lstatSync(path).ino;
  } catch {
    return null;
  }
}
