// astotp's admin command line: finds the command, parses its options, and
// turns whatever goes wrong into one sentence and an exit status
// (0 ok, 1 failure, 2 usage). Commands are loaded only when used.
import { GLOBAL_OPTIONS, parseArgs, stringOption, flagOption } from './args.js';
import type { CliContext, Command } from './command.js';
import { UsageError } from './errors.js';
import { Input } from './input.js';
import { VERSION } from './version.js';

interface Entry {
  summary: string;
  load: () => Promise<{ command: Command }>;
}

const COMMANDS: Record<string, Entry> = {
  init: { summary: 'create the database and key file without users (e.g. pbotp only)', load: () => import('./commands/init.js') },
  enroll: { summary: 'add a user: new secret, PIN, QR code', load: () => import('./commands/enroll.js') },
  list: { summary: 'list users', load: () => import('./commands/list.js') },
  show: { summary: "show one user's state", load: () => import('./commands/show.js') },
  'set-pin': { summary: "change or clear a user's PIN", load: () => import('./commands/set-pin.js') },
  reset: { summary: 'give a user a new secret', load: () => import('./commands/reset.js') },
  disable: { summary: 'refuse all logins of a user', load: () => import('./commands/disable.js') },
  enable: { summary: 'allow logins of a disabled user again', load: () => import('./commands/enable.js') },
  unlock: { summary: 'end a lockout and clear the failure count', load: () => import('./commands/unlock.js') },
  remove: { summary: 'delete a user', load: () => import('./commands/remove.js') },
  verify: { summary: 'check a code as a call would (counts for replay and lockout)', load: () => import('./commands/verify.js') },
  log: { summary: 'show the audit log', load: () => import('./commands/log.js') },
  doctor: { summary: 'check the installation', load: () => import('./commands/doctor.js') },
  'install-sounds': { summary: 'copy the voice prompts into Asterisk', load: () => import('./commands/install-sounds.js') },
  simulate: { summary: 'run a call on the terminal, no phone needed', load: () => import('./commands/simulate.js') },
  'serve-agi': { summary: 'serve calls over FastAGI (AGI(agi://HOST/otp))', load: () => import('./commands/serve-agi.js') },
};

const GLOBAL_HELP = `Global options:
  --db PATH       database (default $ASTOTP_DB, db in astotp.conf, /var/lib/asterisk/astotp.sqlite3)
  --key PATH      key file (default astotp.key next to the database)
  --config PATH   config file (default /etc/asterisk/astotp.conf)
  --json          machine-readable output
  --help          help for a command
  --version       print the version`;

function generalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, e]) => `  ${name.padEnd(width)}  ${e.summary}`);
  lines.push(`  ${'pbotp'.padEnd(width)}  public-key challenge-response logins (astotp pbotp --help)`);
  return `Usage: astotp COMMAND [OPTIONS]

Two-factor authentication (user ID, PIN, TOTP code) for Asterisk.
In the dialplan: AGI(otp/astotp), then check \${ASTOTP} = SUCCESS.

Commands:
${lines.join('\n')}

${GLOBAL_HELP}

Run astotp help COMMAND for a command's options.
`;
}

export async function cliMain(argv: string[]): Promise<number> {
  let name: string | undefined;
  try {
    const split = splitCommand(argv);
    name = split.name;
    if (name === 'pbotp') {
      const { pbotpCommand } = await import('../pbotp/cli.js');
      return await pbotpCommand(split.help ? ['--help'] : split.rest);
    }
    if (split.version && name === undefined) {
      process.stdout.write(`astotp ${VERSION}\n`);
      return 0;
    }
    if (name === 'help') return await help(split.rest);
    if (name === undefined) {
      process[split.help ? 'stdout' : 'stderr'].write(generalHelp());
      return split.help ? 0 : 2;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!entry) throw new UsageError(`unknown command "${name}"`);
    const { command } = await entry.load();
    const all = [...split.leading, ...split.rest];
    // --help wins over anything else on the line, even options that would not parse.
    if (all.slice(0, until(all, '--')).some((a) => a === '--help' || a === '-h')) {
      process.stdout.write(withGlobals(command.help));
      return 0;
    }
    const args = parseArgs(all, { ...GLOBAL_OPTIONS, ...command.options });
    if (flagOption(args, 'version')) {
      process.stdout.write(`astotp ${VERSION}\n`);
      return 0;
    }
    return await command.run(context(args));
  } catch (err) {
    return report(err, name);
  }
}

/** Global options may come before the command word: astotp --db X list. */
function splitCommand(argv: string[]): { name?: string; leading: string[]; rest: string[]; help: boolean; version: boolean } {
  const leading: string[] = [];
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--version') version = true;
    else if (arg === '--json') leading.push(arg);
    else if (/^--(db|key|config)$/.test(arg)) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      leading.push(arg, value);
    } else if (/^--(db|key|config)=/.test(arg)) leading.push(arg);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg.split('=')[0]}`);
    else {
      if (help) leading.push('--help');
      if (version) leading.push('--version');
      return { name: arg, leading, rest: argv.slice(i + 1), help, version };
    }
  }
  return { leading, rest: [], help, version };
}

async function help(rest: string[]): Promise<number> {
  const [name, extra] = rest;
  if (extra !== undefined) throw new UsageError('help takes one command name');
  if (name === undefined) {
    process.stdout.write(generalHelp());
    return 0;
  }
  if (name === 'pbotp') {
    const { pbotpCommand } = await import('../pbotp/cli.js');
    return pbotpCommand(['--help']);
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new UsageError(`unknown command "${name}"`);
  process.stdout.write(withGlobals((await entry.load()).command.help));
  return 0;
}

function withGlobals(text: string): string {
  return `${text.trimEnd()}\n\n${GLOBAL_HELP}\n`;
}

function until(list: string[], item: string): number {
  const i = list.indexOf(item);
  return i < 0 ? list.length : i;
}

function context(args: CliContext['args']): CliContext {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  return {
    args,
    globals: {
      db: stringOption(args, 'db'),
      key: stringOption(args, 'key'),
      config: stringOption(args, 'config'),
      json: flagOption(args, 'json'),
    },
    input: new Input(process.stdin),
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    note: err,
    warn: (message) => err(`astotp: warning: ${message}`),
  };
}

function report(err: unknown, name: string | undefined): number {
  const debug = process.env.ASTOTP_DEBUG === '1';
  const message = oneLine(err instanceof Error ? err.message : String(err));
  if (err instanceof UsageError) {
    const known = name !== undefined && Object.hasOwn(COMMANDS, name);
    process.stderr.write(`astotp: ${message}\nRun 'astotp ${known ? `help ${name}` : '--help'}' for usage.\n`);
    return 2;
  }
  process.stderr.write(`astotp: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim() || 'unknown error';
}
