// The parameters of the PAM steps, spelled as pam_pbotp's module arguments
// (key=value on the pam_exec line) or as keys of the [pbotp-pam] section of
// astotp.conf. Only that section is read: a typo elsewhere in astotp.conf
// must not lock everyone out of sshd and su. Both files decide who may log
// in as root, so they must be root's and writable by nobody else.
import { hostname } from 'node:os';
import { parseConf } from '../config/conf-file.js';
import { type AnswerMode, CODE_DIGITS_DEFAULT, CODE_DIGITS_MAX, PHRASE_WORDS_DEFAULT, PHRASE_WORDS_MAX } from '../pbotp/limits.js';
import { checkLoginField } from '../pbotp/login.js';
import { parsePublicKey } from '../pbotp/keys.js';
import { checkBaseUrl } from '../pbotp/url.js';
import { QR_STYLES, type QrStyle } from '../qr/terminal.js';
import { PamConfigError } from './errors.js';
import { readTrustedFile } from './trusted-paths.js';

export const DEFAULT_STATE_DIR = '/run/astotp-pam';
const SECTION = 'pbotp-pam';
// Floors for the length: every sshd connection and every `su` brings new
// challenges, so the tries are unbounded and only the guessing odds per try
// protect the login (1 in 10^6 for 6 digits, 1 in 2048^3 for 3 words).
const PAM_CODE_DIGITS_MIN = 6;
const PAM_PHRASE_WORDS_MIN = 3;

/** Keys of both the pam_exec line and [pbotp-pam]. */
const SHARED_KEYS = ['pubkey', 'pubkey_file', 'baseurl', 'group', 'host', 'response_mode', 'length', 'qr'] as const;
/** Keys only the pam_exec line (root's PAM service file) may set. */
const LINE_KEYS = ['config', 'state_dir'] as const;

export interface PamParams {
  pubkey: Uint8Array;
  baseUrl: string;
  group: string;
  host: string;
  mode: AnswerMode;
  qr: QrStyle;
  stateDir: string;
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

/**
 * The state directory a pam_exec line names, for the admin's log before (or
 * without) the rest of the line being read: the default unless exactly one
 * absolute state_dir= is given.
 */
export function stateDirOnLine(words: readonly string[]): string {
  const given = words.filter((word) => word.startsWith('state_dir=')).map((word) => word.slice('state_dir='.length));
  return given.length === 1 && isAbsolute(given[0]!) ? given[0]! : DEFAULT_STATE_DIR;
}

/** `key=value` words of the pam_exec line. */
function lineParams(words: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const word of words) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    if (eq < 1 || !([...SHARED_KEYS, ...LINE_KEYS] as readonly string[]).includes(key)) {
      throw new PamConfigError(
        `unknown parameter "${key.slice(0, 40)}" (expected key=value, keys: ${[...SHARED_KEYS, ...LINE_KEYS].join(', ')})`,
      );
    }
    if (out.has(key)) throw new PamConfigError(`parameter ${key} is given twice`);
    out.set(key, word.slice(eq + 1));
  }
  return out;
}

/** A key of [pbotp-pam], and where it was set (FILE:LINE). */
export type SectionParams = Map<string, { value: string; where: string }>;

/** The [pbotp-pam] section alone: other sections' lines are blanked before parsing, keeping line numbers. */
function sectionParams(path: string, text: string): SectionParams {
  let inside = false;
  const lines = text.split(/\r?\n/).map((raw) => {
    const header = /^\s*\[([^\]]+)\]/.exec(raw);
    if (header) inside = header[1]!.trim().toLowerCase() === SECTION;
    return inside ? raw : '';
  });
  const conf = parseConf(lines.join('\n'), path);
  if (conf.problems.length > 0) throw new PamConfigError(conf.problems[0]!);
  const out: SectionParams = new Map();
  for (const [key, entry] of conf.sections.get(SECTION) ?? []) {
    const where = `${path}:${entry.line}`;
    if (!(SHARED_KEYS as readonly string[]).includes(key)) throw new PamConfigError(`${where}: unknown key "${key}" in [${SECTION}]`);
    out.set(key, { value: entry.value, where });
  }
  return out;
}

function wholeNumber(text: string, what: string, min: number, max: number): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) < min || Number(text) > max)
    throw new PamConfigError(`${what} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** The [pbotp-pam] section of the file at `path`, read as the steps read it; null when there is no such file. */
export function readPamSection(path: string): SectionParams | null {
  const text = readTrustedFile(path, 'config file');
  return text === null ? null : sectionParams(path, text);
}

/** The authority's public key, given exactly one of pubkey (the key) and pubkey_file. */
export function pamPublicKey(pubText: string | undefined, pubFile: string | undefined): Uint8Array {
  if ((pubText === undefined) === (pubFile === undefined)) throw new PamConfigError('set exactly one of pubkey and pubkey_file');
  if (pubText !== undefined) return parsePublicKey(pubText);
  const keyText = readTrustedFile(pubFile!, 'public key file');
  if (keyText === null) throw new PamConfigError(`public key file ${pubFile} does not exist`);
  return parsePublicKey(keyText);
}

/** Everything a PAM step needs; PamConfigError (or PbotpInputError) for anything missing or wrong. */
export function readPamParams(words: readonly string[]): PamParams {
  const line = lineParams(words);
  // No default file: an astotp.conf the Asterisk user owns would be refused, and
  // with it every login whose parameters are all on the line.
  const configPath = line.get('config');
  const fromFile = configPath === undefined ? null : readPamSection(configPath);
  if (configPath !== undefined && fromFile === null) throw new PamConfigError(`config file ${configPath} does not exist`);
  const section: SectionParams = fromFile ?? new Map();

  const get = (key: (typeof SHARED_KEYS)[number]): string | undefined => {
    const fromLine = line.get(key);
    const fromFile = section.get(key);
    // Two owners of one setting: whichever won, the admin would be surprised by the other.
    if (fromLine !== undefined && fromFile !== undefined)
      throw new PamConfigError(`${key} is set both on the pam_exec line and at ${fromFile.where}`);
    return fromLine ?? fromFile?.value;
  };
  const need = (key: (typeof SHARED_KEYS)[number]): string => {
    const v = get(key);
    if (v === undefined || v === '')
      throw new PamConfigError(`${key} is not set (pam_exec line, or [${SECTION}] of the file config= names)`);
    return v;
  };

  const pubkey = pamPublicKey(get('pubkey'), get('pubkey_file'));

  const group = need('group');
  checkLoginField('group', group);
  const host = get('host') ?? hostname();
  checkLoginField('host', host);

  const modeName = get('response_mode') ?? 'code';
  if (modeName !== 'code' && modeName !== 'phrase')
    throw new PamConfigError(`response_mode must be code or phrase, not "${modeName.slice(0, 20)}"`);
  const length = get('length');
  const mode: AnswerMode =
    modeName === 'code'
      ? {
          kind: 'code',
          digits: length === undefined ? CODE_DIGITS_DEFAULT : wholeNumber(length, 'length (code)', PAM_CODE_DIGITS_MIN, CODE_DIGITS_MAX),
        }
      : {
          kind: 'phrase',
          words:
            length === undefined ? PHRASE_WORDS_DEFAULT : wholeNumber(length, 'length (phrase)', PAM_PHRASE_WORDS_MIN, PHRASE_WORDS_MAX),
        };

  const qrName = get('qr') ?? 'utf8';
  const qr = QR_STYLES.find((s) => s === qrName);
  if (qr === undefined) throw new PamConfigError(`qr must be one of ${QR_STYLES.join(', ')}`);

  const stateDir = line.get('state_dir') ?? DEFAULT_STATE_DIR;
  if (!isAbsolute(stateDir)) throw new PamConfigError('state_dir must be an absolute path');

  return { pubkey, baseUrl: checkBaseUrl(need('baseurl')), group, host, mode, qr, stateDir };
}
