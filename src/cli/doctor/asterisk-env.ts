// What the running Asterisk hands every classic AGI call: its own
// environment. Some variables make each Node start, and so each call, pay
// for them; /proc/PID/environ shows them, to root.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asInvokingUser } from '../../os/identity.js';
import { pass, warn, type Check } from './check.js';

/** Variables of Asterisk's environment that cost every classic call, and why. */
const COSTLY: Readonly<Record<string, string>> = {
  NODE_EXTRA_CA_CERTS:
    'Node reads and parses that file at every start, so every classic call takes about 35 ms longer (FastAGI calls do not); ' +
    "take it out of Asterisk's environment (its systemd unit or /etc/default/asterisk): astotp takes a PostgreSQL server's CA from sslrootcert= in the db URL",
};

/**
 * The Asterisk of the pid file in `runDir`, else every process named
 * asterisk. Nothing when none runs or its environment cannot be read (only
 * root, or Asterisk's own user, may read it).
 */
export function checkAsteriskEnvironment(runDir: string): Check[] {
  const out: Check[] = [];
  for (const pid of asteriskPids(runDir)) {
    // As whoever started doctor: root may read it, the database owner doctor acts as perhaps not.
    const environ = asInvokingUser(() => readOrNull(`/proc/${pid}/environ`));
    if (environ === null) continue;
    const vars = new Map(
      environ
        .split('\0')
        .filter((v) => v.includes('='))
        .map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] as const),
    );
    const found = Object.keys(COSTLY).filter((name) => vars.has(name));
    for (const name of found)
      out.push(warn('asterisk', `Asterisk (pid ${pid}) runs with ${name}=${shown(vars.get(name)!)}: ${COSTLY[name]}`));
    if (found.length === 0) out.push(pass('asterisk', `Asterisk (pid ${pid}) runs without ${Object.keys(COSTLY).join(', ')}`));
  }
  return out;
}

function asteriskPids(runDir: string): number[] {
  const fromFile = Number(readOrNull(join(runDir, 'asterisk.pid'))?.trim());
  if (Number.isInteger(fromFile) && fromFile > 0 && commandOf(fromFile) !== null) return [fromFile];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => commandOf(pid) === 'asterisk')
    .sort((a, b) => a - b);
}

function commandOf(pid: number): string | null {
  return readOrNull(`/proc/${pid}/comm`)?.trim() ?? null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** A path from another process's environment, printable and not too long. */
function shown(value: string): string {
  const v = value.replace(/[^\x20-\x7e]/g, '?');
  return v.length > 80 ? `${v.slice(0, 77)}...` : v;
}
