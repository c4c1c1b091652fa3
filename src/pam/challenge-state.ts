// The nonce between the two PAM steps. Each step is its own process, so the
// challenge step leaves the nonce in a root-only directory and the verify
// step takes it out again: read once, deleted before it is judged, right or
// wrong. The file's name is a hash of what both steps of one login share and
// no other login does: the PAM application process that forked both (its
// PID and start time, so a reused PID is another login), the service, the
// user, the terminal and the remote host.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { createExclusive } from '../os/files.js';
import type { LoginFields } from '../pbotp/login.js';
import { PamConfigError, PamStateError } from './errors.js';
import { checkAncestors } from './trusted-paths.js';

/** A challenge older than this is refused and swept away. */
export const STATE_MAX_AGE_SECONDS = 300;
const MAGIC = 'astotp-pam-state 1';
const MAX_STATE_BYTES = 4096;

export interface PamState {
  /** Unix seconds when the challenge was made. */
  created: number;
  /** The 32-byte X25519 scalar of the challenge. */
  nonce: Uint8Array;
  login: LoginFields;
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat). */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19];
  if (start === undefined || !/^\d+$/.test(start)) throw new PamStateError(`cannot read the start time of process ${pid}`);
  return start;
}

/** The state file's name for this login, from pam_exec's environment and our parent. */
export function stateKey(env: NodeJS.ProcessEnv, ppid = process.ppid): string {
  const parts = [
    String(ppid),
    startTime(ppid),
    ...['PAM_SERVICE', 'PAM_USER', 'PAM_TTY', 'PAM_RHOST', 'PAM_RUSER'].map((k) => env[k] ?? ''),
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Refuses a state directory that is not a directory of `owner` (the steps: their own), closed to group and others. */
export function checkStateDirStats(dir: string, st: Stats, owner = process.geteuid?.()): void {
  if (!st.isDirectory()) throw new PamConfigError(`state directory ${dir} is not a directory`);
  if (st.uid !== owner) throw new PamConfigError(`state directory ${dir} is not owned by uid ${owner}`);
  if ((st.mode & 0o077) !== 0) throw new PamConfigError(`state directory ${dir} is open to group or others (must be 0700)`);
}

/**
 * Makes the state directory (0700) if missing and refuses it unless it and
 * every directory above it are closed to others.
 */
export function ensureStateDir(dir: string): Stats {
  checkAncestors(dir, 'state directory');
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new PamConfigError(`cannot create state directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const st = lstatSync(dir);
  checkStateDirStats(dir, st);
  return st;
}

/**
 * ensureStateDir, then makes it the working directory: the steps then name
 * their files relative to it, so nothing done to the path after the check
 * can send them elsewhere. Returns ".".
 */
export function openStateDir(dir: string): string {
  const st = ensureStateDir(dir);
  process.chdir(dir);
  const here = statSync('.');
  if (here.dev !== st.dev || here.ino !== st.ino) throw new PamConfigError(`state directory ${dir} changed while it was opened`);
  checkStateDirStats(dir, here);
  return '.';
}

/** A state file's name, or the name takeState gives one it is reading: nothing else is swept. */
const STATE_NAME = /^(?:[0-9a-f]{64}|\.[0-9a-f]{64}\.[0-9a-f]{12}\.taken)$/;

/** Deletes the states of logins that never came to the verify step. */
export function sweepStale(dir: string, now = Date.now()): void {
  for (const name of readdirSync(dir)) {
    if (!STATE_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      if (now - lstatSync(path).mtimeMs > STATE_MAX_AGE_SECONDS * 1000) unlinkSync(path);
    } catch {
      // Taken or swept by a step running at the same time.
    }
  }
}

function formatState(state: PamState): string {
  const { group, host, user } = state.login;
  return `${MAGIC}\ncreated ${state.created}\nnonce ${Buffer.from(state.nonce).toString('hex')}\ngroup ${group}\nhost ${host}\nuser ${user}\n`;
}

function parseState(text: string): PamState {
  const lines = text.split('\n');
  if (lines[0] !== MAGIC || lines.length !== 7 || lines[6] !== '') throw new PamStateError('state file is malformed');
  const field = (i: number, name: string): string => {
    const line = lines[i]!;
    if (!line.startsWith(`${name} `)) throw new PamStateError('state file is malformed');
    return line.slice(name.length + 1);
  };
  const created = field(1, 'created');
  const nonce = field(2, 'nonce');
  if (!/^\d{1,12}$/.test(created) || !/^[0-9a-f]{64}$/.test(nonce)) throw new PamStateError('state file is malformed');
  return {
    created: Number(created),
    nonce: new Uint8Array(Buffer.from(nonce, 'hex')),
    login: { group: field(3, 'group'), host: field(4, 'host'), user: field(5, 'user') },
  };
}

/** Leaves a new challenge's state for this login, replacing one an earlier try left. */
export function saveState(dir: string, key: string, state: PamState): void {
  const path = join(dir, key);
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  createExclusive(path, formatState(state), { permissions: 0o600 });
}

/**
 * Takes this login's state out of the directory: renamed away first, so of
 * two steps racing for it only one gets it, then read and deleted. null when
 * there is none (no challenge step ran, or it was used already).
 */
export function takeState(dir: string, key: string): PamState | null {
  const path = join(dir, key);
  const taken = join(dir, `.${key}.${randomBytes(6).toString('hex')}.taken`);
  try {
    renameSync(path, taken);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const fd = openSync(taken, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o077) !== 0)
        throw new PamStateError('state file is not a private regular file');
      if (st.size > MAX_STATE_BYTES) throw new PamStateError('state file is too large');
      return parseState(readFileSync(fd, 'utf8'));
    } finally {
      closeSync(fd);
    }
  } finally {
    unlinkSync(taken);
  }
}
