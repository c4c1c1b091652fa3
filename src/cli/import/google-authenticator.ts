// The files google-authenticator-libpam keeps per user (~/.google_authenticator):
// the base32 secret on the first line, then options as lines starting with
// `" `, then the scratch codes, one per line. astotp takes the secret, the
// time step and the scratch codes; WINDOW_SIZE, RATE_LIMIT and
// DISALLOW_REUSE give way to astotp's own window, lockout and replay rule.
import { isBase32Secret, SECRET_RULE } from '../../auth/totp.js';
import type { CsvLineError } from './csv.js';

export interface GoogleAuthenticatorFile {
  secret: string;
  /** STEP_SIZE, 30 when not given. */
  period: number;
  scratchCodes: string[];
}

const IGNORED = new Set(['WINDOW_SIZE', 'RATE_LIMIT', 'DISALLOW_REUSE']);
/** What libpam writes: five to ten 8-digit codes. */
const SCRATCH_CODE = /^\d{8}$/;
const MAX_SCRATCH_CODES = 20;

/** The file's content, or the lines that are wrong; a message never repeats the secret or a code. */
export function parseGoogleAuthenticator(text: string): { file: GoogleAuthenticatorFile | null; errors: CsvLineError[] } {
  const errors: CsvLineError[] = [];
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const secret = (lines[0] ?? '').trim();
  if (!isBase32Secret(secret)) errors.push({ line: 1, message: `the first line is not a secret of ${SECRET_RULE}` });
  let totp = false;
  let hotp = false;
  let period = 30;
  const scratchCodes: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const text = lines[i]!.trim();
    if (text === '') continue;
    if (text.startsWith('"')) {
      const [name, ...args] = text.slice(1).trim().split(/\s+/);
      if (name === 'TOTP_AUTH') totp = true;
      else if (name === 'HOTP_COUNTER') {
        hotp = true;
        errors.push({ line, message: 'HOTP_COUNTER: counter-based codes (HOTP); astotp takes only time-based ones (TOTP_AUTH)' });
      } else if (name === 'STEP_SIZE') {
        const n = Number(args[0]);
        if (!/^\d{1,3}$/.test(args[0] ?? '') || n < 15 || n > 300)
          errors.push({ line, message: 'STEP_SIZE must be 15 to 300 seconds for astotp' });
        else period = n;
      } else if (!IGNORED.has(name ?? '')) errors.push({ line, message: `unknown option ${JSON.stringify((name ?? '').slice(0, 20))}` });
      continue;
    }
    if (!SCRATCH_CODE.test(text)) errors.push({ line, message: 'a scratch code must be 8 digits' });
    else scratchCodes.push(text);
  }
  // One sentence about HOTP is enough: a HOTP_COUNTER line already said it.
  if (!totp && !hotp)
    errors.push({ line: 1, message: 'no TOTP_AUTH line: the file holds a counter-based (HOTP) secret, which astotp does not take' });
  if (scratchCodes.length > MAX_SCRATCH_CODES)
    errors.push({ line: 1, message: `${scratchCodes.length} scratch codes, at most ${MAX_SCRATCH_CODES}` });
  if (new Set(scratchCodes).size !== scratchCodes.length) errors.push({ line: 1, message: 'a scratch code is there twice' });
  return { file: errors.length ? null : { secret, period, scratchCodes }, errors };
}
