// One line to the syslog daemon through util-linux's logger, named by its
// absolute path (pam_exec gives no PATH). --socket-errors=on: without it
// logger exits 0 when nothing listens, and the caller could not fall back.
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync } from 'node:fs';

const LOGGER = '/usr/bin/logger';
const SYSLOG_SOCKET = '/dev/log';

export interface SyslogLine {
  tag: string;
  /** facility.level, e.g. authpriv.notice. */
  priority: string;
  line: string;
  socket?: string;
}

function args(l: SyslogLine): string[] {
  return ['--socket-errors=on', '-u', l.socket ?? SYSLOG_SOCKET, '-t', l.tag, '-p', l.priority, '--', l.line.replace(/\s+/g, ' ')];
}

function listening(socket: string): boolean {
  try {
    return lstatSync(socket).isSocket();
  } catch {
    return false;
  }
}

/** false when no syslog daemon took the line; waits at most timeoutMs. */
export function syslogSync(l: SyslogLine, timeoutMs = 5000): boolean {
  if (!listening(l.socket ?? SYSLOG_SOCKET)) return false;
  // Its complaints must not reach anyone's screen either.
  return spawnSync(LOGGER, args(l), { stdio: 'ignore', timeout: timeoutMs }).status === 0;
}

/** As syslogSync, without blocking the process. */
export function syslog(l: SyslogLine, timeoutMs = 5000): Promise<boolean> {
  if (!listening(l.socket ?? SYSLOG_SOCKET)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(LOGGER, args(l), { stdio: 'ignore', timeout: timeoutMs });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
