// V8's code cache of the bundle's code. A classic AGI call is a new Node
// process, and parsing and compiling the code it runs would cost it about
// half as much again as Node's own start; V8 can instead take the bytecode
// of an earlier run. That bytecode is code V8 checks little of (its version,
// its flags, the source's length), so the cache is trusted far less than the
// addon: only from a directory no one else can change (private-dir.ts),
// opened without following a link, owned by the user we run as and writable
// by no one else, and only if it names this very build. Anything else is
// passed over and, where we may, replaced. Never module.enableCompileCache():
// its default directory is the shared temp dir, and it checks no owner.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { cacheDirs } from './cache-dirs.js';
import { privateRealDir } from './private-dir.js';
import { errorMessage } from '../text/error-message.js';

const MAGIC = 'astotp V8 code cache 1\n';
const NAME = /^code-[0-9a-f]{16}\.v8$/;
/** Caches of other builds left beside ours: an upgrade leaves one behind, two installs of different versions keep theirs. */
const KEEP_OTHERS = 8;
/** Far more than V8 makes of the whole bundle: a bigger file is no cache of ours. */
const MAX_BYTES = 64 << 20;

export interface CompileOptions {
  /** The bundle file, for stack traces. */
  filename: string;
  /** Where the source starts in that file (0-based), for stack traces. */
  lineOffset: number;
  columnOffset: number;
}

/** Where the cache is, what it holds, and why it is not used (for ASTOTP_DEBUG). */
interface Found {
  file: string | null;
  data: Buffer | undefined;
  /** The kinds of run (runKind) whose functions the cache holds. */
  kinds: string[];
  problems: string[];
}

/**
 * What identifies the code V8 compiled, and how: the build's digest of the
 * source, Node's and V8's versions, and the flags Node and V8 were given.
 * V8 refuses a cache made under other flags by itself; giving each its own
 * file keeps two ways of starting astotp from replacing each other's.
 */
function cacheKey(codeId: string): string {
  return JSON.stringify([codeId, process.version, process.versions.v8, process.arch, process.execArgv, process.env.NODE_OPTIONS ?? '']);
}

/**
 * The cache's file name for `key`: two 32-bit FNV-1a hashes, as node:crypto
 * is not loaded yet (a run that has a cache never loads it here). The file
 * holds the whole key, which is what is checked.
 */
function cacheFileName(key: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    a = Math.imul(a ^ key.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ key.charCodeAt(i), 0x01000193);
  }
  const hex = (h: number) => (h >>> 0).toString(16).padStart(8, '0');
  return `code-${hex(a)}${hex(b)}.v8`;
}

/**
 * A cache holds the functions the run that wrote it compiled. A call that
 * finds one written by the CLI (or the other way round) writes it again at
 * its exit, with its own functions added: once per kind, not per run.
 */
function runKind(): string {
  return process.env.AST_AGI_DIR ? 'agi' : 'other';
}

/**
 * Compiles `source` (a script whose value is the bundle's module function)
 * with the cached bytecode when a trusted cache of this very code exists,
 * and runs it. When there was none, V8 refused it, or it lacks this kind of
 * run, the bytecode of this run is written at exit for the next. Returns the
 * script's value.
 */
export function runCompiled(source: string, codeId: string, options: CompileOptions): unknown {
  const key = cacheKey(codeId);
  const kind = runKind();
  let found: Found;
  try {
    found = findCache(key);
  } catch (err) {
    // A cache is only ever a shortcut: whatever goes wrong looking for one, the code runs.
    found = { file: null, data: undefined, kinds: [], problems: [errorMessage(err)] };
  }
  const script = new Script(source, { ...options, cachedData: found.data });
  if (found.data && script.cachedDataRejected) found.problems.push(`${found.file} refused by V8`);
  const used = found.data !== undefined && !script.cachedDataRejected;
  const why = found.problems.join('; ');
  debug(used ? `code cache ${found.file} used${why ? ` (passed over: ${why})` : ''}` : `no code cache used (${why || 'none found'})`);
  if (found.file && !(used && found.kinds.includes(kind))) {
    writeAtExit(script, found.file, key, used ? [...found.kinds, kind] : [kind]);
  }
  return script.runInThisContext();
}

function writeAtExit(script: Script, file: string, key: string, kinds: string[]): void {
  const euid = process.geteuid?.();
  // Loaded now (it loads node:crypto) only by a run that will write: it is
  // there by the exit, unless the code exits before any promise settles.
  let files: typeof import('../os/files.js') | undefined;
  import('../os/files.js').then(
    (m) => (files = m),
    () => {},
  );
  process.on('exit', () => {
    // serve-agi drops root, root's CLI may act as the database owner: a
    // file written now would belong to someone the directory is not for.
    if (process.geteuid?.() !== euid || !files) return;
    try {
      files.replaceAtomically(file, Buffer.concat([header(key), Buffer.from(`${kinds.join(',')}\n`), script.createCachedData()]), {
        permissions: 0o600,
      });
      debug(`code cache ${file} written`);
      prune(file);
    } catch (err) {
      debug(`code cache ${file} not written: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
  });
}

function header(key: string): Buffer {
  return Buffer.from(`${MAGIC}${key}\n`);
}

/** The first candidate directory that is private all the way up, and the cache for `key` in it if it may be used. */
function findCache(key: string): Found {
  const problems: string[] = [];
  // A process whose real and effective users differ (pam_exec's seteuid)
  // could take its real identity back: the effective user's files must not
  // run in it, and its real user's are not where it would look.
  if (process.getuid?.() === undefined || process.getuid() !== process.geteuid?.()) {
    return { file: null, data: undefined, kinds: [], problems: ['real and effective user differ'] };
  }
  for (const candidate of cacheDirs()) {
    try {
      mkdirSync(candidate, { recursive: true, mode: 0o700 });
    } catch (err) {
      problems.push(`${candidate}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
      continue;
    }
    const where = privateRealDir(candidate);
    if ('problem' in where) {
      problems.push(where.problem);
      continue;
    }
    const file = join(where.dir, cacheFileName(key));
    const read = readCache(file, header(key));
    if (typeof read === 'string') return { file, data: undefined, kinds: [], problems: [...problems, `${file} ${read}`] };
    return { file, ...read, problems };
  }
  return { file: null, data: undefined, kinds: [], problems };
}

/** V8's data from `file` and the kinds of run it holds, or why there is none that may be used. */
function readCache(file: string, head: Buffer): { data: Buffer; kinds: string[] } | string {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not stop the call on open.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist yet' : code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code})`;
  }
  try {
    // Checked on the open descriptor: what is read is what was checked.
    const st = fstatSync(fd);
    if (!st.isFile()) return 'is not a regular file';
    if (st.uid !== process.geteuid?.()) return `is owned by uid ${st.uid}`;
    if (st.mode & 0o022) return 'is writable by group or others';
    if (st.size > MAX_BYTES) return 'is too large';
    const bytes = Buffer.allocUnsafe(st.size);
    let done = 0;
    for (let n = 1; n > 0 && done < bytes.length; done += n) n = readSync(fd, bytes, done, bytes.length - done, done);
    const kindsEnd = bytes.indexOf(10, head.length);
    if (done !== bytes.length || kindsEnd < 0 || !bytes.subarray(0, head.length).equals(head)) {
      return 'is for another build, Node or set of flags, or incomplete';
    }
    return { data: bytes.subarray(kindsEnd + 1), kinds: bytes.toString('latin1', head.length, kindsEnd).split(',') };
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`;
  } finally {
    closeSync(fd);
  }
}

/** Removes all but the newest KEEP_OTHERS caches of other builds beside `ours`. */
function prune(ours: string): void {
  const dir = join(ours, '..');
  const others = readdirSync(dir)
    .filter((name) => NAME.test(name) && join(dir, name) !== ours)
    .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of others.slice(KEEP_OTHERS)) {
    try {
      unlinkSync(path);
    } catch {
      // another run removed it first
    }
  }
}

function debug(line: string): void {
  if (process.env.ASTOTP_DEBUG) process.stderr.write(`astotp: ${line}\n`);
}
