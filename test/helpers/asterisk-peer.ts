// A scripted Asterisk for tests: spawns an AGI program the way res_agi does
// (AST_* environment, dialplan arguments in argv, the agi_ header on stdin),
// answers its commands like a channel would, and reports what it saw,
// including protocol violations a real Asterisk would punish silently.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE_PATH = join(REPO_ROOT, 'dist', 'astotp');

/**
 * What the caller does next. Typed digits are taken by GET DATA (all of them)
 * or WAIT FOR DIGIT (the first key; the rest waits for the next command).
 * A playback the caller may interrupt (SAY DIGITS, SAY NUMBER, STREAM FILE
 * with escape digits) takes only a `press` it stops for, or a hangup.
 */
export type CallInput =
  /** Types these digits (cut to the command's maximum, as Asterisk does); GET DATA stops at a #, which it drops. */
  | string
  /** Types these digits, then stops before the maximum: `200 result=12 (timeout)`. */
  | { timeout: string }
  /**
   * Hangs up. sighup: SIGHUP, then `200 result=-1`. result: `200 result=-1`,
   * then SIGHUP. eof: closes the program's stdin without replying.
   */
  | { hangup: 'sighup' | 'eof' | 'result'; afterSaid?: number }
  /**
   * Presses one key while something is said; if nothing is, types it. With
   * afterSaid (for hangups too), only a playback after that many complete
   * SAY DIGITS takes it, e.g. to act in the middle of a challenge.
   */
  | { press: string | ((said: string[]) => string); afterSaid?: number }
  /** Types digits worked out from what was said so far (every SAY DIGITS, in order), e.g. a challenge's response. */
  | { compute: (said: string[]) => string };

/**
 * The program's end of the call as runCall drives it: a spawned child, or
 * anything shaped like one (fastagi-peer.ts: a TCP connection, where SIGHUP
 * becomes a HANGUP line and SIGKILL a dropped socket).
 */
export interface PeerLink {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  kill(signal: 'SIGHUP' | 'SIGKILL'): boolean;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

export interface RunCallOptions {
  /** Reaches the program some other way than spawning it (FastAGI); command, env and cwd then go unused. */
  connect?: () => PeerLink;
  /** Executable to spawn. Default: this Node (process.execPath). */
  command?: string;
  /** Arguments before the dialplan arguments. Default: [BUNDLE_PATH], as the shebang would run it. */
  commandArgs?: string[];
  /** Dialplan arguments, AGI(otp/astotp,a,b) -> ['a', 'b']: in argv and as agi_arg_N. */
  args?: string[];
  /** The caller's actions in order (see CallInput); none left -> GET DATA `200 result= (timeout)`, WAIT FOR DIGIT `200 result=0`. */
  inputs?: CallInput[];
  /** Extra environment, e.g. ASTOTP_DB, ASTOTP_CONF. */
  env?: Record<string, string>;
  /** Directory the AST_*_DIR variables point into (created as needed). Default: a new temp dir. */
  astDir?: string;
  /** Overrides for header values, e.g. { agi_callerid: 'unknown' }. */
  agi?: Record<string, string>;
  /** Answers the first command of this name with these bytes as its reply line, e.g. to send what is not UTF-8. */
  rawReply?: { command: string; line: Buffer };
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
  /** Trouble instead of the usual answer to one command (see Interruption); several: each after the one before. */
  interrupt?: Interruption | Interruption[];
  /** Lines sent right after the header, before any command: what Asterisk never sends. */
  afterHeader?: string;
}

/**
 * Trouble at the first command line that starts with `at`, e.g.
 * 'SET VARIABLE ASTOTP "SUCCESS"'. The caller hangs up while it runs:
 * sighup: SIGHUP, then the answer a dead channel gives; result: the command
 * runs, `200 result=-1`, then SIGHUP; 511: SIGHUP and the command refused
 * unrun; eof: stdin closed, nothing run or answered. garbage: the command
 * runs and Asterisk answers a line that is no AGI reply. 510: refused unrun
 * as an unknown command. result0: the command runs, `200 result=0`.
 */
export interface Interruption {
  at: string;
  how: 'sighup' | 'result' | '511' | 'eof' | 'garbage' | '510' | 'result0';
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
  /** The digits of each SAY DIGITS, in order. */
  said: string[];
  /** The text of each SEND TEXT. */
  texts: string[];
  /** The application and options of each EXEC (UserEvent). */
  execs: Array<[string, string]>;
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
  'ANSWER',
  'ASYNCAGI BREAK',
  'CHANNEL STATUS',
  'CONTROL STREAM FILE',
  'DATABASE DEL',
  'DATABASE DELTREE',
  'DATABASE GET',
  'DATABASE PUT',
  'EXEC',
  'GET DATA',
  'GET FULL VARIABLE',
  'GET OPTION',
  'GET VARIABLE',
  'GOSUB',
  'HANGUP',
  'NOOP',
  'RECEIVE CHAR',
  'RECEIVE TEXT',
  'RECORD FILE',
  'SAY ALPHA',
  'SAY DATE',
  'SAY DATETIME',
  'SAY DIGITS',
  'SAY NUMBER',
  'SAY PHONETIC',
  'SAY TIME',
  'SEND IMAGE',
  'SEND TEXT',
  'SET AUTOHANGUP',
  'SET CALLERID',
  'SET CONTEXT',
  'SET EXTENSION',
  'SET MUSIC',
  'SET PRIORITY',
  'SET VARIABLE',
  'SPEECH ACTIVATE GRAMMAR',
  'SPEECH CREATE',
  'SPEECH DEACTIVATE GRAMMAR',
  'SPEECH DESTROY',
  'SPEECH LOAD GRAMMAR',
  'SPEECH RECOGNIZE',
  'SPEECH SET',
  'SPEECH UNLOAD GRAMMAR',
  'STREAM FILE',
  'TDD MODE',
  'VERBOSE',
  'WAIT FOR DIGIT',
];

/** Argument counts (words included) Asterisk accepts before answering 520. */
const ARITY: Record<string, [number, number]> = {
  ANSWER: [1, 1],
  'CHANNEL STATUS': [2, 3],
  'GET DATA': [3, 5],
  'STREAM FILE': [4, 5],
  'SAY DIGITS': [4, 4],
  'SAY NUMBER': [4, 5],
  'SEND TEXT': [3, 3],
  'WAIT FOR DIGIT': [4, 4],
  'SET VARIABLE': [4, 4],
  VERBOSE: [2, 3],
  EXEC: [2, 3],
};

/** Arguments that must look like this, by command and index, or Asterisk misreads them. */
const SHAPES: Record<string, Record<number, RegExp>> = {
  'GET DATA': { 3: /^\d+$/, 4: /^\d+$/ },
  'STREAM FILE': { 3: /^[0-9*#]*$/ },
  'SAY DIGITS': { 2: /^[0-9*#]+$/, 3: /^[0-9*#]*$/ },
  'SAY NUMBER': { 2: /^-?\d+$/, 3: /^[0-9*#]*$/ },
  'WAIT FOR DIGIT': { 3: /^-?\d+$/ },
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
  // Asterisk writes the arguments last (FastAGI's agi_network lines come first, but order among the others does not matter here).
  Object.assign(values, overrides);
  args.forEach((arg, i) => (values[`agi_arg_${i + 1}`] = arg));
  return `${Object.entries(values)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}\n\n`;
}

/** Runs one call against the program and resolves when it exits. */
export function runCall(options: RunCallOptions = {}): Promise<CallResult> {
  const astDir = options.astDir ?? tempDir('astotp-peer-');
  const args = options.args ?? [];
  const inputs = [...(options.inputs ?? [])];
  const missing = new Set(options.missingSounds ?? []);
  let rawReply = options.rawReply;
  const mediaDelay = options.replyDelayMs ?? 20;
  const timeoutMs = options.timeoutMs ?? 15000;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(astDir, AST_DIRS.AST_VAR_DIR as string),
    ...makeAstDirs(astDir),
    ...options.env,
  };

  const result: CallResult = {
    variables: {},
    setLog: [],
    commands: [],
    prompts: [],
    verbose: [],
    said: [],
    texts: [],
    execs: [],
    stderr: '',
    exitCode: null,
    signal: null,
    deadCommands: [],
    violations: [],
    astDir,
  };
  const child: PeerLink =
    options.connect?.() ??
    spawn(options.command ?? process.execPath, [...(options.commandArgs ?? [BUNDLE_PATH]), ...args], {
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
  const interruptions = options.interrupt === undefined ? [] : [options.interrupt].flat();

  const send = (text: string | Buffer): void => {
    if (!stdinClosed && child.stdin.writable) child.stdin.write(Buffer.concat([Buffer.from(text), Buffer.from('\n')]));
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
  const reply = (text: string | Buffer, delayMs: number, after?: () => void): void => {
    const answer = (): void => {
      replyTimer = undefined;
      if (closed) return;
      send(text);
      after?.();
      pending = null;
      flaggedPending = false;
      drain();
    };
    // setImmediate after the timer: output that arrived meanwhile is read (and
    // flagged) first, even when this process was too busy to read it in time.
    // No delay means no timer (a timer of 0 still waits a millisecond or so).
    if (delayMs > 0) replyTimer = setTimeout(() => setImmediate(answer), delayMs);
    else setImmediate(answer);
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
    const shapes = Object.entries(SHAPES[name] ?? {});
    const badShape = shapes.some(([i, shape]) => argv[Number(i)] !== undefined && !shape.test(argv[Number(i)] as string));
    if (!balanced || badShape || (arity && (argv.length < arity[0] || argv.length > arity[1]))) {
      result.violations.push(`malformed command: ${JSON.stringify(line)}`);
      return reply(`520-Invalid command syntax.  Proper usage follows:\n Usage: ${name} ...\n520 End of proper usage.`, 0);
    }
    if (interruptions[0] && line.startsWith(interruptions[0].at)) {
      const { how } = interruptions.shift()!;
      if (how !== 'sighup') return interrupt(name, argv, how);
      hangup('sighup');
    }
    if (dead && !DEAD_OK.has(name)) return reply(arity ? REFUSED_DEAD : UNKNOWN, 0);
    record(name, argv);
    if (rawReply && name === rawReply.command) {
      const { line } = rawReply;
      rawReply = undefined;
      return reply(line, 0);
    }
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
        if (missing.has(argv[2] ?? '')) return reply('200 result=-1 endpos=0', mediaDelay);
        return playback(argv[3] ?? '', ' endpos=8000');
      case 'SAY DIGITS':
        return playback(argv[3] ?? '', '', 1);
      case 'SAY NUMBER':
        return playback(argv[3] ?? '', '');
      case 'SEND TEXT':
        return reply('200 result=0', 0);
      case 'EXEC':
        // What Asterisk answers for an application it has and that ran: its return value, 0.
        return reply(argv[1]?.toLowerCase() === 'userevent' ? '200 result=0' : '200 result=-2', 0);
      case 'WAIT FOR DIGIT':
        return waitForDigit();
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
    } else if (name === 'SAY DIGITS') {
      result.said.push(argv[2] ?? '');
    } else if (name === 'SEND TEXT') {
      result.texts.push(argv[2] ?? '');
    } else if (name === 'EXEC') {
      result.execs.push([argv[1] ?? '', argv[2] ?? '']);
    }
  };

  const interrupt = (name: string, argv: string[], how: Exclude<Interruption['how'], 'sighup'>): void => {
    switch (how) {
      case 'eof':
        return hangupDuring('eof');
      case '511':
        hangup('sighup');
        return reply(REFUSED_DEAD, 0);
      case 'result':
        record(name, argv);
        return reply('200 result=-1', 0, () => hangup('result'));
      case 'garbage':
        record(name, argv);
        return reply('garbled reply', 0);
      case '510':
        return reply(UNKNOWN, 0);
      case 'result0':
        record(name, argv);
        return reply('200 result=0', 0);
    }
  };

  /** The next input, with computed digits worked out now, from what has been said by now. */
  const nextInput = (): CallInput | undefined => {
    const input = inputs[0];
    if (input !== undefined && typeof input === 'object' && 'compute' in input) inputs[0] = input.compute([...result.said]);
    return inputs[0];
  };

  /** The key of a press input, worked out now if it depends on what was said. */
  const pressed = (input: { press: string | ((said: string[]) => string) }): string =>
    typeof input.press === 'function' ? input.press([...result.said]) : input.press;

  /** The reply to a command the caller hangs up during. */
  const hangupDuring = (how: 'sighup' | 'eof' | 'result'): void => {
    switch (how) {
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

  /**
   * Something said that the keys in `escape` stop; `tail` follows the result
   * (endpos for STREAM FILE); `saying` is 1 for a SAY DIGITS, already in `said`.
   */
  const playback = (escapeKeys: string, tail: string, saying = 0): void => {
    // Only what the caller could cut short takes an input: a prompt played whole waits for none.
    // Digits still to be worked out are typed later, never during a playback.
    const input = escapeKeys === '' ? undefined : inputs[0];
    const due = (i: { afterSaid?: number }) => result.said.length - saying >= (i.afterSaid ?? 0);
    if (input !== undefined && typeof input === 'object' && ('press' in input || 'hangup' in input) && due(input)) {
      if ('hangup' in input) {
        inputs.shift();
        return hangupDuring(input.hangup);
      }
      const key = 'press' in input ? pressed(input) : '';
      if (key.length === 1 && escapeKeys.includes(key)) {
        inputs.shift();
        return reply(`200 result=${key.charCodeAt(0)}${tail}`, mediaDelay);
      }
    }
    return reply(`200 result=0${tail}`, mediaDelay);
  };

  const waitForDigit = (): void => {
    const input = nextInput();
    if (input === undefined) return reply('200 result=0', mediaDelay);
    if (typeof input === 'object' && 'hangup' in input) {
      inputs.shift();
      return hangupDuring(input.hangup);
    }
    const keys = typeof input === 'string' ? input : 'press' in input ? pressed(input) : 'timeout' in input ? input.timeout : '';
    const rest = keys.slice(1);
    if (rest === '') inputs.shift();
    else inputs[0] = typeof input === 'object' && 'timeout' in input ? { timeout: rest } : rest;
    return reply(`200 result=${keys === '' ? 0 : keys.charCodeAt(0)}`, mediaDelay);
  };

  const getData = (max: number): void => {
    nextInput();
    const input = inputs.shift();
    if (input === undefined) return reply('200 result= (timeout)', mediaDelay);
    if (typeof input === 'string') return reply(`200 result=${input.split('#')[0]!.slice(0, max)}`, mediaDelay);
    if ('timeout' in input) return reply(`200 result=${input.timeout} (timeout)`, mediaDelay);
    if ('press' in input) return reply(`200 result=${pressed(input).slice(0, max)} (timeout)`, mediaDelay);
    if ('hangup' in input) return hangupDuring(input.hangup);
    throw new Error('asterisk-peer: computed input left unresolved');
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
  child.stdin.write(header(args, options.agi ?? {}) + (options.afterHeader ?? ''));

  return new Promise<CallResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `asterisk-peer: the AGI program did not exit within ${timeoutMs} ms\n` +
            `commands: ${JSON.stringify(result.commands)}\nstderr: ${result.stderr}`,
        ),
      );
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
