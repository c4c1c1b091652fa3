// The [notify] section of astotp.conf: who hears of accounts under attack
// (auth/account-events.ts), and how. A call reads it only once something
// happened and never fails on it: a typo here costs the notices (doctor and
// the notifier say why), never a call's result.
import { readConf } from './conf-file.js';
import { configPath } from './paths.js';
import { bool, int, SettingsError } from './settings.js';
import { errorMessage } from '../text/error-message.js';

const NOTIFY_SECTION = 'notify';

export interface NotifySettings {
  configFile: string | null;
  /** One line per event to syslog (auth facility, tag astotp). */
  syslog: boolean;
  /** The syslog daemon's socket. */
  syslogSocket: string;
  /** Run with each event as one JSON object on stdin. */
  command: string | null;
  /** How long the command may run before it is killed. */
  commandTimeoutMs: number;
  /** Mail each event to the user's own address (through [web]'s SMTP settings). */
  mailUser: boolean;
  /** And to this address. */
  mailAdmin: string | null;
  /** An Asterisk UserEvent (AMI, ARI) from the call the event came from. */
  userEvent: boolean;
  /** The length of a streak of failures with the right PIN that is news. */
  pinStreak: number;
}

function notifyDefaults(): NotifySettings {
  return {
    configFile: null,
    syslog: false,
    syslogSocket: '/dev/log',
    command: null,
    commandTimeoutMs: 10_000,
    mailUser: false,
    mailAdmin: null,
    userEvent: false,
    pinStreak: 3,
  };
}

/** Whether any sink is on: without one, nothing is done for an event at all. */
export function notifies(s: NotifySettings): boolean {
  return s.userEvent || notifiesElsewhere(s);
}

/** Whether a sink besides the call's own UserEvent is on: the work of the detached notifier. */
export function notifiesElsewhere(s: NotifySettings): boolean {
  return s.syslog || s.command !== null || s.mailUser || s.mailAdmin !== null;
}

function absolutePath(v: string): string {
  if (!v.startsWith('/')) throw new SettingsError('expected an absolute path');
  return v;
}

function address(v: string): string {
  if (!/^[^@\s<>",]+@[^@\s<>",]+\.[^@\s<>",]+$/.test(v.trim())) throw new SettingsError('expected a mail address');
  return v.trim();
}

const KEYS: Record<string, (s: NotifySettings, v: string) => void> = {
  syslog: (s, v) => (s.syslog = bool(v)),
  syslog_socket: (s, v) => (s.syslogSocket = absolutePath(v)),
  command: (s, v) => (s.command = absolutePath(v)),
  // The notifier lives two minutes at most (cli/commands/notify-deliver.ts): a command gets half of that.
  command_timeout: (s, v) => (s.commandTimeoutMs = int(1, 60)(v) * 1000),
  mail_user: (s, v) => (s.mailUser = bool(v)),
  mail_admin: (s, v) => (s.mailAdmin = address(v)),
  userevent: (s, v) => (s.userEvent = bool(v)),
  pin_streak: (s, v) => (s.pinStreak = int(1, 100)(v)),
};

/** [notify] of astotp.conf (or `config`); every problem listed with its line. */
export function loadNotifySettings(opts: { env?: NodeJS.ProcessEnv; config?: string } = {}): NotifySettings {
  const file = opts.config ?? configPath(opts.env ?? process.env);
  const s = notifyDefaults();
  const conf = readConf(file, (section) => section === NOTIFY_SECTION);
  if (!conf) return s;
  s.configFile = file;
  const problems: string[] = [...conf.problems];
  for (const [key, { value, line }] of conf.sections.get(NOTIFY_SECTION) ?? []) {
    const set = KEYS[key];
    try {
      if (!set) throw new SettingsError(`unknown setting (known: ${Object.keys(KEYS).join(', ')})`);
      set(s, value);
    } catch (err) {
      problems.push(`${file}:${line}: [${NOTIFY_SECTION}] ${key}: ${errorMessage(err)}`);
    }
  }
  if (problems.length) throw new SettingsError(problems);
  return s;
}
