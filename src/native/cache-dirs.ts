// Where astotp keeps what it unpacks or compiles for itself: the SQLite
// addon and the V8 code cache. The same list, in the same order, for both, so
// they sit side by side and an admin finds them in one place.
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Candidate directories, best first; none of them is trusted yet. */
export function cacheDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.ASTOTP_CACHE_DIR) dirs.push(process.env.ASTOTP_CACHE_DIR);
  if (process.env.XDG_CACHE_HOME) dirs.push(join(process.env.XDG_CACHE_HOME, 'astotp'));
  // Asterisk often keeps root's HOME after dropping privileges; the passwd
  // entry names the home of the user we actually run as.
  for (const home of [safe(() => userInfo().homedir), safe(homedir)]) if (home) dirs.push(join(home, '.cache', 'astotp'));
  dirs.push(join(tmpdir(), `astotp-${process.geteuid?.() ?? 'user'}`));
  return dirs;
}

function safe(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
