// What Linux's /proc says of other processes: for tests that must show a
// server left nothing running, and for ending a server's children with it.
import { readdirSync, readFileSync } from 'node:fs';

/** State letter and parent of `pid`, or null once it is gone (reaped). */
function stat(pid: number): { state: string; ppid: number } | null {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields
  // that follow start after its last ')'.
  const [state = '', ppid = ''] = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid) };
}

/** The processes whose parent is `pid` now. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((p) => stat(p)?.ppid === pid);
}

/** True while `pid` runs: a zombie waiting to be reaped no longer does. */
export function isRunning(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}
