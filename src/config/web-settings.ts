// The [web] section of astotp.conf: the web server's and the invitations'
// settings (public URL, mail). Only serve-web and invite read it, and calls
// skip it (settings.ts), so a typo here can never fail a phone call; here an
// unknown key or a bad value fails those commands, naming file and line.
import { readFileSync } from 'node:fs';
import { readConf } from './conf-file.js';
import { configPath } from './paths.js';
import { SettingsError } from './settings.js';
import { errorMessage } from '../text/error-message.js';

const WEB_SECTION = 'web';

export interface SmtpSettings {
  /** smtps: TLS from the start; smtp: STARTTLS, required unless the server is on loopback. */
  secure: boolean;
  host: string;
  port: number;
  user: string | null;
  /** Read from smtp_password_file when the settings are loaded, never from the URL. */
  password: string | null;
  /** The server is on this machine, where plain SMTP is allowed. */
  loopback: boolean;
}

export interface WebSettings {
  /** Where the settings came from, for messages. */
  configFile: string | null;
  /** The public base URL, without a trailing slash: links are `${webUrl}/enrol/TOKEN`. */
  webUrl: string | null;
  smtp: SmtpSettings | null;
  /** The From: of invitation mails. */
  mailFrom: string | null;
  /** How long a new invitation is good for, unless invite --expires says otherwise. */
  inviteSeconds: number;
  /** The extension the done page tells a new user to call to try their login. */
  testExtension: string | null;
}

export const DEFAULT_INVITE_SECONDS = 72 * 3600;
const MAX_INVITE_SECONDS = 30 * 86400;

/** 30m, 72h, 7d: from one minute to 30 days. One rule for invite_expires and invite --expires. */
export function durationSeconds(v: string): number {
  const m = /^(\d{1,6})\s*([mhd])$/.exec(v.trim());
  const seconds = m ? Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2] as 'm' | 'h' | 'd'] : Number.NaN;
  if (!(seconds >= 60 && seconds <= MAX_INVITE_SECONDS))
    throw new SettingsError('expected a duration such as 30m, 72h or 7d, from 1 minute to 30 days');
  return seconds;
}

/** http(s)://host[:port][/path], nothing else: the links and the Origin a form must come from. */
function webUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new SettingsError('expected an https:// URL such as https://otp.example.org');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.search || u.hash || v.includes('?'))
    throw new SettingsError('expected an http(s):// URL without user, query or fragment, such as https://otp.example.org');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function smtpUrl(v: string): Omit<SmtpSettings, 'password'> {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new SettingsError('expected smtp://[USER@]HOST[:PORT] (STARTTLS) or smtps://[USER@]HOST[:PORT] (TLS)');
  }
  if (u.password) throw new SettingsError('the URL holds a password (not repeated here): put it in the file smtp_password_file names');
  if ((u.protocol !== 'smtp:' && u.protocol !== 'smtps:') || !u.hostname || (u.pathname !== '' && u.pathname !== '/') || u.search)
    throw new SettingsError('expected smtp://[USER@]HOST[:PORT] (STARTTLS) or smtps://[USER@]HOST[:PORT] (TLS)');
  const secure = u.protocol === 'smtps:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    secure,
    host,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    user: u.username ? decodeURIComponent(u.username) : null,
    loopback: isLoopbackHost(host),
  };
}

/** An address, or Name <address>, for the From: header. */
function mailFrom(v: string): string {
  const m = /^(?:[^<>"\r\n]{0,100}<([^<>\s]+)>|([^<>\s]+))$/.exec(v.trim());
  const address = m?.[1] ?? m?.[2];
  if (!address || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw new SettingsError('expected an address or Name <address>');
  return v.trim();
}

function absolutePath(v: string): string {
  if (!v.startsWith('/')) throw new SettingsError('expected an absolute path');
  return v;
}

function extension(v: string): string {
  if (!/^[0-9*#+]{1,20}$/.test(v)) throw new SettingsError('expected 1 to 20 digits, * # or +');
  return v;
}

type Raw = { smtp?: Omit<SmtpSettings, 'password'>; passwordFile?: string };
type Setter = (s: WebSettings, raw: Raw, v: string) => void;

const KEYS: Record<string, Setter> = {
  web_url: (s, _r, v) => (s.webUrl = webUrl(v)),
  smtp_url: (_s, r, v) => (r.smtp = smtpUrl(v)),
  smtp_password_file: (_s, r, v) => (r.passwordFile = absolutePath(v)),
  mail_from: (s, _r, v) => (s.mailFrom = mailFrom(v)),
  invite_expires: (s, _r, v) => (s.inviteSeconds = durationSeconds(v)),
  test_extension: (s, _r, v) => (s.testExtension = extension(v)),
};

function webDefaults(): WebSettings {
  return { configFile: null, webUrl: null, smtp: null, mailFrom: null, inviteSeconds: DEFAULT_INVITE_SECONDS, testExtension: null };
}

/** [web] of astotp.conf (or --config), every problem listed with its line. */
export function loadWebSettings(opts: { env?: NodeJS.ProcessEnv; config?: string } = {}): WebSettings {
  const file = opts.config ?? configPath(opts.env ?? process.env);
  const s = webDefaults();
  const conf = readConf(file, (section) => section === WEB_SECTION);
  if (!conf) return s;
  s.configFile = file;
  const section = conf.sections.get(WEB_SECTION);
  if (!section) return s;
  const raw: Raw = {};
  const problems: string[] = [...conf.problems];
  for (const [key, { value, line }] of section) {
    const where = `${file}:${line}: [${WEB_SECTION}] ${key}`;
    const set = KEYS[key];
    try {
      if (!set) throw new SettingsError(`unknown setting (known: ${Object.keys(KEYS).join(', ')})`);
      set(s, raw, value);
    } catch (err) {
      problems.push(`${where}: ${errorMessage(err)}`);
    }
  }
  if (raw.passwordFile && !raw.smtp) problems.push(`${file}: [${WEB_SECTION}] smtp_password_file needs smtp_url`);
  if (raw.smtp) {
    let password: string | null = null;
    if (raw.passwordFile) {
      try {
        password = readFileSync(raw.passwordFile, 'utf8').split('\n')[0]!.replace(/\r$/, '');
      } catch (err) {
        problems.push(
          `${file}: [${WEB_SECTION}] smtp_password_file ${raw.passwordFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    s.smtp = { ...raw.smtp, password };
  }
  if (problems.length) throw new SettingsError(problems);
  return s;
}
