// What a token is and how a code is judged against one: a user's app (TOTP,
// serial app:USER) and key fobs (TOTP with their own clocks, HOTP with an
// event counter), each with its own replay mark. The rules every entry point
// shares are here: serials, how many tokens a user may hold, what a sealed
// secret is bound to, the HOTP look-ahead, a fob's drift and its resync.
import type { TokenPosition, TokenRow } from '../store/tables.js';
import { base32Bytes } from '../totp/base32.js';
import { findCounter, type HotpKey } from './hotp.js';
import { openSecret, sealSecret } from './secret-box.js';
import { checkCode } from './totp.js';

/**
 * A user holds at most this many tokens: every token is one more secret a
 * guess may hit (README's security model works the odds out for it).
 */
export const MAX_TOKENS_PER_USER = 3;

const APP_PREFIX = 'app:';
const SERIAL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** What a fob's serial may be, as messages say it: never with a colon, so never an app token's name. */
export const SERIAL_RULE = '1 to 64 letters, digits and . _ - (starting with a letter or digit)';

/** The name of the user's app token: how token commands name it, and its row's serial. */
export function appSerial(user: string): string {
  return `${APP_PREFIX}${user}`;
}

/** The user an app token's name names, or null when `serial` names no app token. */
export function appTokenUser(serial: string): string | null {
  return serial.startsWith(APP_PREFIX) ? serial.slice(APP_PREFIX.length) : null;
}

export function isFobSerial(serial: string): boolean {
  return SERIAL.test(serial);
}

/** How an audit row names a token: "app", or the fob's serial. */
export function tokenLabel(t: Pick<TokenRow, 'kind' | 'serial'>): string {
  return t.kind === 'app' ? 'app' : t.serial;
}

/**
 * What a token's sealed secret is bound to: the token and its holder. A
 * secret sealed for one token opens for no other, and a fob's row moved to
 * another user (by whoever can write the database) opens for nobody: so it
 * is sealed again on every assign and unassign. An app token's binding is
 * its user's ID, as secrets were sealed before tokens: those boxes moved
 * into the tokens table unchanged. User IDs hold no ':', so no fob's
 * binding is ever a user's.
 */
function tokenBinding(serial: string, user: string | null): string {
  if (user !== null && serial === appSerial(user)) return user;
  return `token:${serial}:${user ?? ''}`;
}

export function sealTokenSecret(key: Buffer, serial: string, user: string | null, secret: string): Buffer {
  return sealSecret(key, tokenBinding(serial, user), secret);
}

/** The token's secret, or null when its box was not sealed with this key for this token and holder. */
export function openTokenSecret(key: Buffer, t: Pick<TokenRow, 'serial' | 'user_id' | 'secret_box'>): string | null {
  return openSecret(key, tokenBinding(t.serial, t.user_id), t.secret_box);
}

/** The site's rules a code is judged by: `window` TOTP steps either side, `hotpWindow` HOTP counter values ahead. */
export interface CodeRules {
  window: number;
  hotpWindow: number;
}

/**
 * Where the token would stand after this code (not yet recorded), or why
 * the code is not one of its: replayed (used before), or a note for the
 * admin (a code right a little beyond the window: a clock, or a fob pressed
 * too often, not a guesser), or nothing to say.
 */
export type TokenCheck = { ok: true; to: TokenPosition } | { ok: false; replayed: boolean; note: string | null };

/** HOTP values behind the counter looked at, to tell a replayed code from a wrong one. */
const HOTP_REPLAY_BACK = 10;
/** HOTP values beyond the look-ahead looked at, only to tell the admin that a fob needs a resync. */
const HOTP_NEAR_MISS = 100;

/**
 * A TOTP fob's clock is followed within this many seconds either way: logins
 * move its drift by the step they matched, resync sets it, neither beyond.
 * Also how far resync looks for a TOTP token's codes.
 */
export const TOTP_DRIFT_LIMIT_SECONDS = 4 * 3600;
/** How far resync looks ahead of an HOTP token's counter. */
export const HOTP_RESYNC_WINDOW = 1000;

export function checkTokenCode(t: TokenRow, secret: string, code: string, rules: CodeRules, now: number): TokenCheck {
  return t.kind === 'hotp' ? checkHotp(t, secret, code, rules) : checkTotp(t, secret, code, rules, now);
}

function checkTotp(t: TokenRow, secret: string, code: string, rules: CodeRules, now: number): TokenCheck {
  const period = t.period!;
  const c = checkCode({ secret, algorithm: t.algorithm, digits: t.digits, period }, code, {
    window: rules.window,
    afterStep: t.last_step,
    now: now + t.drift * period,
  });
  if (c.valid) {
    // A fob's clock runs on its own: its drift follows the step it matched. A phone's is set by the network.
    const drift = t.kind === 'totp' ? boundedDrift(c.timeStep - Math.floor(now / period), period) : t.drift;
    return { ok: true, to: { step: c.timeStep, drift } };
  }
  return { ok: false, replayed: c.replayed, note: c.offBy === null ? null : offByNote(c.offBy, period) };
}

function checkHotp(t: TokenRow, secret: string, code: string, rules: CodeRules): TokenCheck {
  const k = hotpKey(t, secret);
  const counter = t.counter!;
  const hit = findCounter(k, code, counter, rules.hotpWindow);
  if (hit !== null) return { ok: true, to: { counter: hit + 1 } };
  const back = Math.min(counter, HOTP_REPLAY_BACK);
  if (findCounter(k, code, counter - back, back) !== null) return { ok: false, replayed: true, note: null };
  const ahead = findCounter(k, code, counter + rules.hotpWindow, HOTP_NEAR_MISS);
  return {
    ok: false,
    replayed: false,
    note: ahead === null ? null : `code ${ahead - counter + 1} presses ahead, beyond hotp_window ${rules.hotpWindow} (astotp token resync)`,
  };
}

function hotpKey(t: Pick<TokenRow, 'algorithm' | 'digits'>, secret: string): HotpKey {
  return { key: base32Bytes(secret), algorithm: t.algorithm, digits: t.digits };
}

function boundedDrift(steps: number, period: number): number {
  const limit = Math.floor(TOTP_DRIFT_LIMIT_SECONDS / period);
  return Math.max(-limit, Math.min(limit, steps));
}

/** For the admin only (audit detail, never the caller). */
function offByNote(offBy: number, period: number): string {
  const steps = Math.abs(offBy);
  return `code off by ${steps} step${steps === 1 ? '' : 's'} (${steps * period} s ${offBy > 0 ? 'ahead of' : 'behind'} this PBX's clock)`;
}

/**
 * Where two consecutive codes of the token put it (RFC 4226 section 7.4's
 * resynchronisation): an HOTP token's counter past the second, within
 * HOTP_RESYNC_WINDOW values ahead of where it stands; a TOTP token's drift
 * and replay mark at the second's step, within TOTP_DRIFT_LIMIT_SECONDS of
 * this clock and after its last used step. Null when no such pair is there:
 * codes that are not consecutive, a code already used, a token further off.
 */
export function resyncPosition(t: TokenRow, secret: string, first: string, second: string, now: number): TokenPosition | null {
  const k = hotpKey(t, secret);
  if (t.kind === 'hotp') {
    const counter = t.counter!;
    for (let from = counter; ; ) {
      const hit = findCounter(k, first, from, counter + HOTP_RESYNC_WINDOW - from);
      if (hit === null) return null;
      if (findCounter(k, second, hit + 1, 1) !== null) return { counter: hit + 2 };
      from = hit + 1;
    }
  }
  const period = t.period!;
  const here = Math.floor(now / period);
  const limit = Math.floor(TOTP_DRIFT_LIMIT_SECONDS / period);
  // Nearest the PBX's clock first: where two steps pair up twice by chance, the likelier one wins.
  for (let d = 0; d <= limit; d++) {
    for (const step of d === 0 ? [here] : [here - d, here + d]) {
      if (t.last_step !== null && step <= t.last_step) continue;
      if (findCounter(k, first, step, 1) !== null && findCounter(k, second, step + 1, 1) !== null)
        return { step: step + 1, drift: boundedDrift(step + 1 - here, period) };
    }
  }
  return null;
}
