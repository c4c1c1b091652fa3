// astotp's admin command line: finds the command, parses its options, and
// turns whatever goes wrong into one sentence and an exit status
// (0 ok, 1 failure, 2 usage, 130 interrupted). Commands are loaded only when used.
import { MAX_TOKENS_PER_USER } from '../auth/tokens.js';
import { GLOBAL_OPTIONS, parseArgs, stringOption, flagOption } from './args.js';
import type { CliContext, Command } from './command.js';
import { didYouMean } from '../text/nearest-name.js';
import { INTERRUPTED_EXIT, Interrupted, UsageError } from './errors.js';
import { printable } from './format.js';
import { terminalWidth, wrapText } from '../text/wrap.js';
import { Input } from './input.js';
import { VERSION } from './version.js';
import { errorMessage } from '../text/error-message.js';

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
  recovery: { summary: 'make a new set of recovery codes for a lost phone', load: () => import('./commands/recovery.js') },
  disable: { summary: 'refuse all logins of a user', load: () => import('./commands/disable.js') },
  enable: { summary: 'allow logins of a disabled user again', load: () => import('./commands/enable.js') },
  unlock: { summary: 'end a lockout and clear the failure count', load: () => import('./commands/unlock.js') },
  remove: { summary: 'delete a user', load: () => import('./commands/remove.js') },
  import: { summary: 'add many users from CSV or google-authenticator files, all or none', load: () => import('./commands/import.js') },
  export: { summary: 'write the users out as CSV or JSON (secrets only with --reveal-secret)', load: () => import('./commands/export.js') },
  migrate: {
    summary: 'copy users, counts and audit log to another database (e.g. SQLite to PostgreSQL)',
    load: () => import('./commands/migrate.js'),
  },
  backup: {
    summary: 'write the whole site, key included, into one file sealed by a passphrase',
    load: () => import('./commands/backup.js'),
  },
  restore: {
    summary: 'bring a backup back into an empty database, codes used since kept dead',
    load: () => import('./commands/restore.js'),
  },
  verify: { summary: 'check a code as a call would (counts for replay and lockout)', load: () => import('./commands/verify.js') },
  log: { summary: 'show the audit log', load: () => import('./commands/log.js') },
  doctor: { summary: 'check the installation', load: () => import('./commands/doctor.js') },
  'install-sounds': { summary: 'copy the voice prompts into Asterisk', load: () => import('./commands/install-sounds.js') },
  simulate: { summary: 'run a call on the terminal, no phone needed', load: () => import('./commands/simulate.js') },
  'serve-agi': { summary: 'serve calls over FastAGI (AGI(agi://HOST/otp))', load: () => import('./commands/serve-agi.js') },
  set: { summary: "set a user's name, mail address or language", load: () => import('./commands/set.js') },
  invite: { summary: 'invite users to enrol themselves on the web (a link, by mail)', load: () => import('./commands/invite.js') },
  invites: { summary: 'list invitations, or end one (--revoke)', load: () => import('./commands/invites.js') },
  'serve-web': { summary: 'serve the pages invited users enrol on', load: () => import('./commands/serve-web.js') },
  'notify-deliver': {
    summary: 'send notices of account events (astotp starts it itself)',
    load: () => import('./commands/notify-deliver.js'),
  },
  role: { summary: "make a user of a pbotp authority's database an approver, or none", load: () => import('./commands/role.js') },
  roles: { summary: "list a pbotp authority's approvers and their rights", load: () => import('./commands/roles.js') },
  'api-token create': { summary: "make an approver's API token (shown once)", load: () => import('./commands/api-token/create.js') },
  'api-token list': { summary: 'list API tokens, working and revoked', load: () => import('./commands/api-token/list.js') },
  'api-token revoke': { summary: 'end an API token', load: () => import('./commands/api-token/revoke.js') },
  'token list': { summary: "list tokens: users' apps and key fobs", load: () => import('./commands/token/list.js') },
  'token assign': { summary: 'give a key fob to a user', load: () => import('./commands/token/assign.js') },
  'token unassign': { summary: 'take a key fob from its user, keeping it', load: () => import('./commands/token/unassign.js') },
  'token disable': { summary: 'refuse the codes of one token', load: () => import('./commands/token/disable.js') },
  'token enable': { summary: 'accept the codes of a disabled token again', load: () => import('./commands/token/enable.js') },
  'token resync': { summary: 'set a drifted token right from two consecutive codes', load: () => import('./commands/token/resync.js') },
  'pbotp genkey': {
    summary: "make the authority's key (privkey), or print its public key (pubkey)",
    load: () => import('./commands/pbotp/genkey.js'),
  },
  'pbotp respond': { summary: 'answer a challenge with the private key', load: () => import('./commands/pbotp/respond.js') },
  'pbotp serve': { summary: 'answer challenges over HTTP', load: () => import('./commands/pbotp/serve.js') },
  'pbotp challenge': {
    summary: 'make a challenge on this device and check the answer',
    load: () => import('./commands/pbotp/challenge.js'),
  },
};

/** First words of two-word commands: the general help shows the group, `astotp GROUP` its commands. */
const GROUPS: Record<string, { summary: string; about: string }> = {
  token: {
    summary: "users' apps and key fobs (astotp token --help)",
    about: `A user holds up to ${MAX_TOKENS_PER_USER} tokens: the authenticator app astotp enroll set up
(named app:USER) and key fobs, HOTP or TOTP, loaded from a vendor's PSKC
file (astotp import --pskc) and given to users. A code of any of them opens
the user's calls; each has its own replay mark.`,
  },
  'api-token': {
    summary: "a pbotp authority's API tokens for helpdesk tools (astotp api-token --help)",
    about: `An API token lets a helpdesk tool ask astotp pbotp serve for responses with
the rights of one approver (Authorization: Bearer TOKEN). Only its hash is
stored; every response it gets is an audit row naming the approver and the token.`,
  },
  pbotp: {
    summary: 'public-key challenge-response logins (astotp pbotp --help)',
    about: `pbotp v2: public-key challenge-response logins. An authority holds a private
key; devices hold only its public key. The PAM steps pam-challenge and
pam-verify are run by pam_exec (astotp pbotp pam-challenge --help).`,
  },
};

const GLOBAL_HELP = `Global options:
  --db PATH       database (default $ASTOTP_DB, db in astotp.conf, /var/lib/asterisk/astotp.sqlite3)
  --key PATH      key file (default astotp.key next to the database)
  --config PATH   config file (default /etc/asterisk/astotp.conf)
  --json          machine-readable output
  --help          help for a command
  --version       print the version`;

/** "  name  summary" lines, the summaries in one column. */
function commandList(entries: [string, { summary: string }][]): string {
  const width = Math.max(...entries.map(([n]) => n.length));
  return entries.map(([name, e]) => `  ${name.padEnd(width)}  ${e.summary}`).join('\n');
}

function generalHelp(): string {
  const lines = commandList([...Object.entries(COMMANDS).filter(([name]) => !name.includes(' ')), ...Object.entries(GROUPS)]);
  return `Usage: astotp COMMAND [OPTIONS]

Two-factor authentication (user ID, PIN, TOTP code) for Asterisk.
In the dialplan: AGI(otp/astotp), then check \${ASTOTP} = SUCCESS.

Commands:
${lines}

${GLOBAL_HELP}

Run astotp help COMMAND for a command's options.
`;
}

function groupHelp(group: string): string {
  const commands = Object.entries(COMMANDS)
    .filter(([name]) => name.startsWith(`${group} `))
    .map(([name, e]): [string, Entry] => [name.slice(group.length + 1), e]);
  return `Usage: astotp ${group} COMMAND [OPTIONS]

${GROUPS[group]!.about}

Commands:
${commandList(commands)}

Run astotp ${group} COMMAND --help for the options of each.
`;
}

export async function cliMain(argv: string[]): Promise<number> {
  endQuietlyOnClosedOutput();
  let name: string | undefined;
  const input = new Input(process.stdin);
  endOnInterrupt();
  try {
    const split = splitCommand(argv);
    name = split.name;
    if (split.version && name === undefined) {
      process.stdout.write(`astotp ${VERSION}\n`);
      return 0;
    }
    if (name === 'help') return await help(split.rest);
    if (name?.endsWith(' help')) return await help([name.slice(0, -' help'.length), ...split.rest]);
    if (name === undefined || Object.hasOwn(GROUPS, name)) {
      const stream = process[split.help ? 'stdout' : 'stderr'];
      stream.write(wrapped(name === undefined ? generalHelp() : groupHelp(name), stream));
      return split.help ? 0 : 2;
    }
    const { command } = await entryOf(name).load();
    const all = [...split.leading, ...split.rest];
    // --help wins over anything else on the line, even options that would not parse.
    if (all.slice(0, until(all, '--')).some((a) => a === '--help' || a === '-h')) {
      process.stdout.write(wrapped(helpOf(command), process.stdout));
      return 0;
    }
    const spec = command.globalOptions === false ? command.options : { ...GLOBAL_OPTIONS, ...command.options };
    const args = parseArgs(all, spec, command.shortOptions, command.optionsFirst === true);
    if (flagOption(args, 'version')) {
      process.stdout.write(`astotp ${VERSION}\n`);
      return 0;
    }
    const code = await command.run(context(args, input));
    return interrupted ? INTERRUPTED_EXIT : code;
  } catch (err) {
    return report(err, name);
  } finally {
    input.close();
  }
}

/**
 * A reader that stops early (astotp list | head -1) closes the pipe: further
 * output goes nowhere, and the command ends with the status it would have had,
 * without Node's unhandled-error stack trace.
 */
function endQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

let interrupted = false;

/**
 * Ctrl-C (SIGINT) ends every command with 130, 128 + SIGINT, as a shell
 * reports a command it interrupted, and without a stack trace: at once,
 * where nothing was committed that a transaction or an atomic write does not
 * undo, or, for a command that stops on SIGINT itself (a server letting its
 * calls finish), once it has.
 */
function endOnInterrupt(): void {
  process.on('SIGINT', () => {
    interrupted = true;
    if (process.listenerCount('SIGINT') > 1) return;
    // The terminal echoed ^C on the line of a prompt: the shell's prompt starts on the next.
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.exit(INTERRUPTED_EXIT);
  });
}

/**
 * Global options may come before the command word: astotp --db X list. A
 * group's word and its command's word make the name: "pbotp respond".
 */
function splitCommand(argv: string[]): { name?: string; leading: string[]; rest: string[]; help: boolean; version: boolean } {
  const leading: string[] = [];
  let help = false;
  let version = false;
  let group: string | undefined;
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
    else if (arg.startsWith('-')) {
      const name = arg.split('=')[0]!;
      throw new UsageError(`unknown option ${name}${didYouMean(name.replace(/^--?/, ''), Object.keys(GLOBAL_OPTIONS), (n) => `--${n}`)}`);
    } else if (group === undefined && Object.hasOwn(GROUPS, arg)) group = arg;
    else {
      if (help) leading.push('--help');
      if (version) leading.push('--version');
      return { name: group === undefined ? arg : `${group} ${arg}`, leading, rest: argv.slice(i + 1), help, version };
    }
  }
  return { name: group, leading, rest: [], help, version };
}

function entryOf(name: string): Entry {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new UsageError(`unknown command "${name}"${didYouMean(name, commandNames(name))}`);
  return entry;
}

/** What a mistyped command may have meant: the group's commands for "pbotp x", else the first words. */
function commandNames(name: string): string[] {
  const group = name.split(' ')[0]!;
  if (name.includes(' ') && Object.hasOwn(GROUPS, group)) return Object.keys(COMMANDS).filter((n) => n.startsWith(`${group} `));
  return [...Object.keys(COMMANDS).filter((n) => !n.includes(' ')), ...Object.keys(GROUPS), 'help'];
}

/** astotp help [COMMAND], where a command in a group is two words: help pbotp respond. */
async function help(rest: string[]): Promise<number> {
  const words = rest[0] !== undefined && Object.hasOwn(GROUPS, rest[0]) ? 2 : 1;
  if (rest.length > words) throw new UsageError('help takes one command name');
  const name = rest.length === 0 ? undefined : rest.join(' ');
  if (name === undefined || Object.hasOwn(GROUPS, name)) {
    process.stdout.write(wrapped(name === undefined ? generalHelp() : groupHelp(name), process.stdout));
    return 0;
  }
  process.stdout.write(wrapped(helpOf((await entryOf(name).load()).command), process.stdout));
  return 0;
}

/** Help as written, wrapped at print time to the terminal it goes to: one place, whoever writes the texts. */
function wrapped(text: string, stream: NodeJS.WriteStream): string {
  return wrapText(text, terminalWidth(stream));
}

/** The command's help, and the global options if it takes them. */
function helpOf(command: Command): string {
  return command.globalOptions === false ? command.help : `${command.help.trimEnd()}\n\n${GLOBAL_HELP}\n`;
}

function until(list: string[], item: string): number {
  const i = list.indexOf(item);
  return i < 0 ? list.length : i;
}

function context(args: CliContext['args'], input: Input): CliContext {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  return {
    args,
    globals: {
      db: stringOption(args, 'db'),
      key: stringOption(args, 'key'),
      config: stringOption(args, 'config'),
      json: flagOption(args, 'json'),
    },
    input,
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    // Notes and warnings may quote what an input file or the database holds: shown printable.
    note: (message) => err(printableLines(message)),
    warn: (message) => err(`astotp: warning: ${printableLines(message)}`),
  };
}

function report(err: unknown, name: string | undefined): number {
  if (err instanceof Interrupted) return err.code;
  const debug = process.env.ASTOTP_DEBUG === '1';
  const message = oneLine(errorMessage(err));
  if (err instanceof UsageError) {
    const group = name?.split(' ')[0];
    const known = name !== undefined && (Object.hasOwn(COMMANDS, name) || Object.hasOwn(GROUPS, name));
    const hint = known ? `help ${name}` : group !== undefined && Object.hasOwn(GROUPS, group) ? `help ${group}` : '--help';
    process.stderr.write(`astotp: ${message}\nRun 'astotp ${hint}' for usage.\n`);
    return 2;
  }
  process.stderr.write(`astotp: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim() || 'unknown error';
}

/** Control characters made visible, but for the line breaks a message is laid out with. */
function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
