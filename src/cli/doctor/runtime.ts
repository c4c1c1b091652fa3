// Doctor's checks of what astotp runs on: Node, its SQLite addon, the clock.
import { execFileSync } from 'node:child_process';
import { shownTime } from '../../auth/clock.js';
import { loadSqliteAddon } from '../../native/load-addon.js';
import { errorText, fail, pass, warn, type Check } from './check.js';

const MIN_NODE_MAJOR = 20;

export function checkNode(): Check[] {
  const node = `Node ${process.versions.node} (ABI ${process.versions.modules})`;
  const major = Number(process.versions.node.split('.')[0]);
  const out: Check[] = [
    major >= MIN_NODE_MAJOR ? pass('node', node) : fail('node', `${node} is too old; astotp needs Node ${MIN_NODE_MAJOR} or newer`),
  ];
  try {
    out.push(
      pass(
        'addon',
        loadSqliteAddon() ? 'the embedded SQLite addon loads' : 'not embedded (run from source); better-sqlite3 from node_modules',
      ),
    );
  } catch (err) {
    out.push(fail('addon', errorText(err)));
  }
  return out;
}

/**
 * TOTP is only as right as the clock: a wrong year fails; time nobody is
 * known to keep right warns, since it drifts until codes fail.
 */
export function checkClock(now = new Date()): Check[] {
  const year = now.getUTCFullYear();
  const shown = shownTime(Math.floor(now.getTime() / 1000));
  const clock = year >= 2024 ? pass('clock', shown) : fail('clock', `the clock says ${shown}; set the time, TOTP codes depend on it`);
  const sync = ntpSynchronised();
  const ntp =
    sync === null
      ? warn(
          'ntp',
          'cannot tell whether the clock is synchronised (no answer from timedatectl or chronyc); clock_source in astotp.conf has doctor compare it with an NTP or HTTP server',
        )
      : sync.synced
        ? pass('ntp', `synchronised (${sync.by})`)
        : warn('ntp', `not synchronised according to ${sync.by}; a drifting clock makes codes fail`);
  return [clock, ntp];
}

function ntpSynchronised(): { synced: boolean; by: string } | null {
  const timedatectl = run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  if (timedatectl === 'yes' || timedatectl === 'no') return { synced: timedatectl === 'yes', by: 'timedatectl' };
  const chrony = run('chronyc', ['-n', 'tracking']);
  const leap = chrony && /^Leap status\s*:\s*(.+)$/m.exec(chrony);
  if (leap) return { synced: leap[1]!.trim() !== 'Not synchronised', by: 'chronyc' };
  return null;
}

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
