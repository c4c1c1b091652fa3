// Who is acting, for the audit log of admin commands. The kernel's login uid
// (/proc/self/loginuid) is set once at login by pam_loginuid and survives
// sudo and su; SUDO_USER and LOGNAME are whatever the caller put in the
// environment, so they name nobody.
import { readFileSync } from 'node:fs';
import { nameOf } from './identity.js';

/** What the kernel writes when no login set the uid (a daemon, a container without pam_loginuid). */
const UNSET = 4294967295;

/** The login uid, or null when none was set or the kernel keeps none. */
function loginUid(path = '/proc/self/loginuid'): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
  if (!/^\d{1,10}$/.test(text)) return null;
  const uid = Number(text);
  return uid === UNSET ? null : uid;
}

/** "alice (loginuid 1000, uid 0)", or "root (no login uid, uid 0)": the login's name first, else the real uid's. */
export function actingUser(path?: string): string {
  const uid = process.getuid?.() ?? -1;
  const login = loginUid(path);
  const who = login ?? uid;
  const name = nameOf(who) ?? `uid ${who}`;
  return `${name} (${login === null ? 'no login uid' : `loginuid ${login}`}, uid ${uid})`;
}
