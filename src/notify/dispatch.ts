// Notices go out from a process of their own, `astotp notify-deliver`,
// started detached (its own session): a classic AGI call exits as soon as
// ASTOTP is set, and Asterisk's SIGHUP to it must not cut the notices off;
// a hung notify command or SMTP server must not hold a FastAGI server's
// calls or the admin's terminal either. It runs as the user who started it
// and finds the same astotp.conf and database.
import { spawn } from 'node:child_process';
import type { AccountEvent } from '../auth/account-events.js';

/** The environment variable that carries the events: read by the notifier alone, never on a command line others can list. */
export const NOTICES_VARIABLE = 'ASTOTP_NOTICES';
/** More would be a bug; the notifier refuses it. */
export const MAX_NOTICE_EVENTS = 32;

export interface NoticePlace {
  /** astotp.conf, as the settings were read from it; null: none. */
  configFile: string | null;
  db: string;
}

/**
 * Starts the notifier for `events` and returns at once. The process must
 * be the bundle (process.argv[1]); nothing waits for or reports on it.
 */
export function deliverLater(events: readonly AccountEvent[], place: NoticePlace): void {
  if (events.length === 0) return;
  const bundle = process.argv[1];
  if (!bundle) return;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    ...(process.env.ASTOTP_CACHE_DIR ? { ASTOTP_CACHE_DIR: process.env.ASTOTP_CACHE_DIR } : {}),
    ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
    // No AST_*: started by Asterisk's child, the notifier would take itself for a call.
    ...(place.configFile ? { ASTOTP_CONF: place.configFile } : {}),
    ASTOTP_DB: place.db,
    [NOTICES_VARIABLE]: JSON.stringify(events.slice(0, MAX_NOTICE_EVENTS)),
  };
  try {
    const child = spawn(process.execPath, ['--no-warnings', bundle, 'notify-deliver'], { detached: true, stdio: 'ignore', env });
    child.on('error', () => {});
    child.unref();
  } catch {
    // Notices are best effort: the call's result stands whatever happens here.
  }
}
