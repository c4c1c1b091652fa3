// What an import will do, worked out before anything is written: every line
// checked by the rules enroll applies, and every wrong line reported by its
// file and line number, together with the files that cannot be read and the
// users that exist already, so one run shows all there is to fix. A message
// names the line and the rule, never the PIN or secret.
import { newSecret, SECRET_RULE } from '../../auth/totp.js';
import { checkPin, type ImportedUser, isUserId, USER_ID_RULE } from '../../auth/user-admin.js';
import { checkProfile } from '../../auth/user-profile.js';
import { codeAlgorithm, codeDigits, codePeriod, type Settings } from '../../config/settings.js';
import { base32Secret, untypable } from '../validate.js';
import { parseCsv, type CsvLineError, type CsvRecord } from './csv.js';
import { parseGoogleAuthenticator } from './google-authenticator.js';
import { errorMessage } from '../../text/error-message.js';

export interface ImportSource {
  /** How messages name the file. */
  name: string;
  /** null: it could not be read (reported apart), so there is nothing to plan. */
  text: string | null;
  /** Set for a google-authenticator file, which names no user itself. */
  user?: string;
}

export interface ImportUser extends ImportedUser {
  /** The file gave no secret: one was made, and must reach the user's phone. */
  newSecret: boolean;
  /** Where it came from, for ordering the report: the index of its source and its line. */
  source: number;
  line: number;
}

/** What is wrong with a source (line 0: the whole file) or one of its lines. */
export interface ImportProblem {
  source: number;
  line: number;
  message: string;
}

export function planImport(
  sources: readonly ImportSource[],
  s: Settings,
  allowUntypable: boolean,
): { users: ImportUser[]; problems: ImportProblem[] } {
  const users: ImportUser[] = [];
  const problems: ImportProblem[] = [];
  const seen = new Map<string, string>();
  sources.forEach((src, source) => {
    if (src.text === null) return;
    const bad: CsvLineError[] = [];
    // Whether it is a user's line or the file's, each why goes under its line: the report reads top to bottom.
    const add = (u: Omit<ImportUser, 'source' | 'line'>, line: number) => {
      const first = seen.get(u.id);
      const why = untypable(u.id, s);
      if (first !== undefined) bad.push({ line, message: `user ${u.id} is also on ${first}` });
      else if (why && !allowUntypable) bad.push({ line, message: `${why} (--allow-untypable imports it anyway)` });
      else {
        seen.set(u.id, u.where);
        users.push({ ...u, source, line });
      }
    };
    if (src.user !== undefined) {
      const { file, errors: wrong } = parseGoogleAuthenticator(src.text);
      bad.push(...wrong);
      if (file)
        add(
          {
            where: src.name,
            id: src.user,
            pin: null,
            params: { secret: file.secret, algorithm: 'SHA1', digits: 6, period: file.period },
            newSecret: false,
            ownRecoveryCodes: file.scratchCodes,
            profile: {},
          },
          1,
        );
    } else {
      const { records, errors: wrong } = parseCsv(src.text);
      bad.push(...wrong);
      for (const r of records) {
        try {
          add(csvUser(r, `${src.name} line ${r.line}`, s), r.line);
        } catch (err) {
          bad.push({ line: r.line, message: errorMessage(err) });
        }
      }
    }
    problems.push(...bad.map((e) => ({ source, ...e })));
  });
  return { users, problems };
}

/** The report, file by file in the order given and line by line, each naming its file and line. */
export function problemLines(sources: readonly { name: string }[], problems: readonly ImportProblem[]): string[] {
  return [...problems]
    .sort((a, b) => a.source - b.source || a.line - b.line)
    .map((p) => (p.line === 0 ? p.message : `${sources[p.source]!.name} line ${p.line}: ${p.message}`));
}

function validUserId(field: string): string {
  if (isUserId(field)) return field;
  const separator = /[;\t]/.test(field) ? '; is the file separated by ; or tabs? astotp reads commas' : '';
  throw new Error(`the user ID (${field.length} characters) is not valid: use ${USER_ID_RULE}${separator}`);
}

/** A field checked by the rule of astotp.conf's key of the same name. */
function ruled<T>(name: string, value: string, rule: (v: string) => T): T {
  try {
    return rule(value);
  } catch (err) {
    throw new Error(`${name}: ${errorMessage(err)}`);
  }
}

/** One CSV line as a user; throws what is wrong with it. */
function csvUser(r: CsvRecord, where: string, s: Settings): Omit<ImportUser, 'source' | 'line'> {
  const f = r.fields;
  if (f.user === undefined) throw new Error('no user ID');
  // Never the field itself: a line split on the wrong separator holds the PIN and secret in it.
  const id = validUserId(f.user);
  const pin = f.pin === undefined ? null : checkPin(f.pin, s.pinMaxDigits);
  const secret = f.secret === undefined ? null : base32Secret(f.secret);
  if (f.secret !== undefined && secret === null) throw new Error(`the secret must be ${SECRET_RULE}`);
  const algorithm = f.algorithm === undefined ? s.algorithm : ruled('algorithm', f.algorithm, codeAlgorithm);
  const digits = f.digits === undefined ? s.digits : ruled('digits', f.digits, codeDigits);
  if (digits > s.digits) throw new Error(`digits ${digits} is more than the ${s.digits} digits a call asks for (digits in astotp.conf)`);
  const period = f.period === undefined ? s.period : ruled('period', f.period, codePeriod);
  const profile = checkProfile({ name: f.name, email: f.email, language: f.language });
  return {
    where,
    id,
    pin,
    params: { secret: secret ?? newSecret(), algorithm, digits, period },
    newSecret: secret === null,
    ownRecoveryCodes: [],
    profile,
  };
}
