// A scripted Asterisk for tests: spawns an AGI program the way res_agi does
// (AST_* environment, dialplan arguments in argv, the agi_ header on stdin),
// answers its commands like a channel would, and reports what it saw,
// including protocol violations a real Asterisk would punish silently.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_PATH = join(REPO_ROOT, 'dist', 'astotp');

/** What the caller does at one GET DATA. */
export type CallInput =
  /** Types these digits (cut to the command's maximum, as Asterisk does). */
  | string
  /** Types these digits, then stops before the maximum: `200 result=12 (timeout)`. */
  | { timeout: string }
  /**
   * Hangs up. sighup: SIGHUP, then `200 result=-1`. result: `200 result=-1`,
   * then SIGHUP. eof: closes the program's stdin without replying.
   */
  | { hangup: 'sighup' | 'eof' | 'result' };

export interface RunCallOptions {
  /** Executable to spawn. Default: this Node (process.execPath). */
  command?: string;
  /** Arguments before the dialplan arguments. Default: [BUNDLE_PATH], as the shebang would run it. */
  commandArgs?: string[];
  /** Dialplan arguments, AGI(otp/astotp,a,b) -> ['a', 'b']: in argv and as agi_arg_N. */
  args?: string[];
  /** Consumed one per GET DATA; none left -> `200 result= (timeout)`. */
  inputs?: CallInput[];
  /** Extra environment, e.g. ASTOTP_DB, ASTOTP_CONF. */
  env?: Record<string, string>;
  /** Directory the AST_*_DIR variables point into (created as needed). Default: a new temp dir. */
  astDir?: string;
  /** Overrides for header values, e.g. { agi_callerid: 'unknown' }. */
  agi?: Record<string, string>;
  /** Sounds whose STREAM FILE answers as missing: `200 result=-1 endpos=0`, channel still up. */
  missingSounds?: string[];
  /** Working directory. Default: astDir (never the repo). */
  cwd?: string;
  /** Delay before answering GET DATA / STREAM FILE; writes during it are violations. Default 20. */
  replyDelayMs?: number;
  /** The program must exit within this; otherwise it is killed and runCall rejects. Default 15000. */
  timeoutMs?: number;
  /** Run the program as this user and group, as Asterisk runs as its own user. */
  uid?: number;
  gid?: number;
}

export interface CallResult {
  /** Last value set per name. */
  variables: Record<string, string>;
  setLog: Array<[string, string]>;
  /** Every line the program wrote to stdout, in order. */
  commands: string[];
  /** Prompt of each GET DATA / STREAM FILE, in order. */
  prompts: string[];
  /** Message of each VERBOSE. */
  verbose: string[];
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  /** Time from the hangup to the program's exit. */
  msAfterHangup?: number;
  /** Commands received after the hangup. */
  deadCommands: string[];
  violations: string[];
  astDir: string;
}

const AST_DIRS: Record<string, string> = {
  AST_CONFIG_DIR: 'etc/asterisk',
  AST_MODULE_DIR: 'usr/lib/asterisk/modules',
  AST_SPOOL_DIR: 'var/spool/asterisk',
  AST_MONITOR_DIR: 'var/spool/asterisk/monitor',
  AST_VAR_DIR: 'var/lib/asterisk',
  AST_DATA_DIR: 'usr/share/asterisk',
  AST_LOG_DIR: 'var/log/asterisk',
  AST_AGI_DIR: 'usr/share/asterisk/agi-bin',
  AST_KEY_DIR: 'usr/share/asterisk/keys',
  AST_RUN_DIR: 'var/run/asterisk',
};

/** Every AGI command Asterisk knows; anything else on stdout is a stray line. */
const AGI_COMMANDS = [
  'ANSWER', 'ASYNCAGI BREAK', 'CHANNEL STATUS', 'CONTROL STREAM FILE', 'DATABASE DEL', 'DATABASE DELTREE',
  'DATABASE GET', 'DATABASE PUT', 'EXEC', 'GET DATA', 'GET FULL VARIABLE', 'GET OPTION', 'GET VARIABLE',
  'GOSUB', 'HANGUP', 'NOOP', 'RECEIVE CHAR', 'RECEIVE TEXT', 'RECORD FILE', 'SAY ALPHA', 'SAY DATE',
  'SAY DATETIME', 'SAY DIGITS', 'SAY NUMBER', 'SAY PHONETIC', 'SAY TIME', 'SEND IMAGE', 'SEND TEXT',
  'SET AUTOHANGUP', 'SET CALLERID', 'SET CONTEXT', 'SET EXTENSION', 'SET MUSIC', 'SET PRIORITY',
  'SET VARIABLE', 'SPEECH ACTIVATE GRAMMAR', 'SPEECH CREATE', 'SPEECH DEACTIVATE GRAMMAR', 'SPEECH DESTROY',
  'SPEECH LOAD GRAMMAR', 'SPEECH RECOGNIZE', 'SPEECH SET', 'SPEECH UNLOAD GRAMMAR', 'STREAM FILE',
  'TDD MODE', 'VERBOSE', 'WAIT FOR DIGIT',
];

/** Argument counts (words included) Asterisk accepts before answering 520. */
const ARITY: Record<string, [number, number]> = {
  ANSWER: [1, 1],
  'CHANNEL STATUS': [2, 3],
  'GET DATA': [3, 5],
  'STREAM FILE': [4, 5],
  'SET VARIABLE': [4, 4],
  VERBOSE: [2, 3],
};

const DEAD_OK = new Set(['SET VARIABLE', 'VERBOSE']);
const REFUSED_DEAD = '511 Command Not Permitted on a dead channel or intercept routine';
const UNKNOWN = '510 Invalid or unknown command';

/** Splits a command line as res_agi does: spaces separate, "..." groups, \ escapes. */
export function splitAgiArgs(line: string): { argv: string[]; balanced: boolean } {
  const argv: string[] = [];
  let current = '';
  let inArg = false;
  let quoted = false;
  let escaped = false;
  for (const c of line) {
    if (escaped) {
      current += c;
      escaped = false;
      inArg = true;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === '"') {
      quoted = !quoted;
      inArg = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (inArg) argv.push(current);
      current = '';
      inArg = false;
    } else {
      current += c;
      inArg = true;
    }
  }
  if (inArg) argv.push(current);
  return { argv, balanced: !quoted && !escaped };
}

function makeAstDirs(astDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, sub] of Object.entries(AST_DIRS)) {
    env[name] = join(astDir, sub);
    mkdirSync(env[name], { recursive: true });
  }
  env.AST_CONFIG_FILE = join(astDir, AST_DIRS.AST_CONFIG_DIR as string, 'asterisk.conf');
  return env;
}

function header(args: string[], overrides: Record<string, string>): string {
  const values: Record<string, string> = {
    agi_request: 'otp/astotp',
    agi_channel: 'PJSIP/1001-00000001',
    agi_language: 'en',
    agi_type: 'PJSIP',
    agi_uniqueid: '1700000000.1',
    agi_version: '20.5.0',
    agi_callerid: '1001',
    agi_calleridname: 'Alice',
    agi_callingpres: '0',
    agi_callingani2: '0',
    agi_callington: '0',
    agi_callingtns: '0',
    agi_dnid: '500',
    agi_rdnis: 'unknown',
    agi_context: 'from-internal',
    agi_extension: '500',
    agi_priority: '2',
    agi_enhanced: '0.0',
    agi_accountcode: '',
    agi_threadid: '140245810009792',
  };
  args.forEach((arg, i) => (values[`agi_arg_${i + 1}`] = arg));
  Object.assign(values, overrides);
  return `${Object.entries(values).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n`;
}

/** Runs one call against the program and resolves when it exits. */
export function runCall(options: RunCallOptions = {}): Promise<CallResult> {
  const astDir = options.astDir ?? mkdtempSync(join(tmpdir(), 'astotp-peer-'));
  const args = options.args ?? [];
  const inputs = [...(options.inputs ?? [])];
  const missing = new Set(options.missingSounds ?? []);
  const mediaDelay = options.replyDelayMs ?? 20;
  const timeoutMs = options.timeoutMs ?? 15000;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(astDir, AST_DIRS.AST_VAR_DIR as string), ...makeAstDirs(astDir), ...options.env };

  const result: CallResult = {
    variables: {}, setLog: [], commands: [], prompts: [], verbose: [], stderr: '',
    exitCode: null, signal: null, deadCommands: [], violations: [], astDir,
  };
  const child = spawn(options.command ?? process.execPath, [...(options.commandArgs ?? [BUNDLE_PATH]), ...args], {
    cwd: options.cwd ?? astDir,
    env,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  let dead = false;
  let stdinClosed = false;
  let hangupAt: number | undefined;
  let answered = false;
  /** The command whose reply has not been written yet. */
  let pending: string | null = null;
  let flaggedPending = false;
  let partial = '';
  let replyTimer: NodeJS.Timeout | undefined;
  let exitedAt: number | undefined;
  let closed = false;
  const backlog: string[] = [];

  const send = (text: string): void => {
    if (!stdinClosed && child.stdin.writable) child.stdin.write(`${text}\n`);
  };
  const hangup = (how: 'sighup' | 'eof' | 'result'): void => {
    dead = true;
    hangupAt = Date.now();
    if (how === 'eof') {
      stdinClosed = true;
      child.stdin.end();
    } else {
      child.kill('SIGHUP');
    }
  };
  const reply = (text: string, delayMs: number, after?: () => void): void => {
    // setImmediate after the timer: output that arrived meanwhile is read (and
    // flagged) first, even when this process was too busy to read it in time.
    replyTimer = setTimeout(() => setImmediate(() => {
      replyTimer = undefined;
      if (closed) return;
      send(text);
      after?.();
      pending = null;
      flaggedPending = false;
      drain();
    }), delayMs);
  };
  const flagPendingWrite = (): void => {
    if (pending !== null && !flaggedPending) {
      flaggedPending = true;
      result.violations.push(`wrote to stdout while the reply to "${pending}" was pending`);
    }
  };

  const handle = (line: string): void => {
    if (dead) result.deadCommands.push(line);
    const { argv, balanced } = splitAgiArgs(line);
    const words = argv.map((w) => w.toUpperCase());
    const name = AGI_COMMANDS.filter((c) => c.split(' ').every((w, i) => words[i] === w)).sort((a, b) => b.length - a.length)[0];
    if (!name) result.violations.push(`not an AGI command: ${JSON.stringify(line)}`);
    // With stdin closed (or the program gone) commands are recorded, never answered.
    if (stdinClosed) return record(name, argv);
    pending = line;
    if (!name) return reply(UNKNOWN, 0);
    const arity = ARITY[name];
    const badNumbers = name === 'GET DATA' && argv.slice(3).some((n) => !/^\d+$/.test(n));
    if (!balanced || badNumbers || (arity && (argv.length < arity[0] || argv.length > arity[1]))) {
      result.violations.push(`malformed command: ${JSON.stringify(line)}`);
      return reply(`520-Invalid command syntax.  Proper usage follows:\n Usage: ${name} ...\n520 End of proper usage.`, 0);
    }
    if (dead && !DEAD_OK.has(name)) return reply(arity ? REFUSED_DEAD : UNKNOWN, 0);
    record(name, argv);
    switch (name) {
      case 'ANSWER':
        answered = true;
        return reply('200 result=0', 0);
      case 'CHANNEL STATUS':
        return reply(`200 result=${answered ? 6 : 4}`, 0);
      case 'SET VARIABLE':
      case 'VERBOSE':
        return reply('200 result=1', 0);
      case 'STREAM FILE':
        return reply(missing.has(argv[2] ?? '') ? '200 result=-1 endpos=0' : '200 result=0 endpos=8000', mediaDelay);
      case 'GET DATA':
        return getData(Number(argv[4] ?? 1024));
      default:
        return reply(UNKNOWN, 0);
    }
  };

  /** Notes what a command did to the channel (variables, log, prompts). */
  const record = (name: string | undefined, argv: string[]): void => {
    if (name === 'SET VARIABLE') {
      const [, , varName = '', value = ''] = argv;
      result.variables[varName] = value;
      result.setLog.push([varName, value]);
    } else if (name === 'VERBOSE') {
      result.verbose.push(argv[1] ?? '');
    } else if (name === 'GET DATA' || name === 'STREAM FILE') {
      result.prompts.push(argv[2] ?? '');
    }
  };

  const getData = (max: number): void => {
    const input = inputs.shift();
    if (input === undefined) return reply('200 result= (timeout)', mediaDelay);
    if (typeof input === 'string') return reply(`200 result=${input.slice(0, max)}`, mediaDelay);
    if ('timeout' in input) return reply(`200 result=${input.timeout} (timeout)`, mediaDelay);
    switch (input.hangup) {
      case 'sighup':
        hangup('sighup');
        return reply('200 result=-1', mediaDelay);
      case 'result':
        return reply('200 result=-1', mediaDelay, () => hangup('result'));
      case 'eof':
        hangup('eof');
        pending = null;
        return drain();
    }
  };

  const drain = (): void => {
    while (pending === null && backlog.length > 0) handle(backlog.shift() as string);
  };

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    let newline: number;
    while ((newline = partial.indexOf('\n')) >= 0) {
      flagPendingWrite();
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      result.commands.push(line);
      backlog.push(line);
      drain();
    }
    if (partial.length > 0) flagPendingWrite();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (result.stderr += chunk));
  child.stdin.on('error', () => {
    // The program may exit before reading what we sent; that is its right.
  });
  child.stdin.write(header(args, options.agi ?? {}));

  return new Promise<CallResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(
        `asterisk-peer: the AGI program did not exit within ${timeoutMs} ms\n` +
        `commands: ${JSON.stringify(result.commands)}\nstderr: ${result.stderr}`,
      ));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => (exitedAt = Date.now()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(replyTimer);
      closed = true;
      result.exitCode = code;
      result.signal = signal;
      if (hangupAt !== undefined) result.msAfterHangup = (exitedAt ?? Date.now()) - hangupAt;
      if (partial.length > 0) result.violations.push(`unterminated output at exit: ${JSON.stringify(partial)}`);
      // Lines written while a reply was pending (already a violation) still count for what they did.
      stdinClosed = true;
      pending = null;
      drain();
      resolvePromise(result);
    });
  });
}
