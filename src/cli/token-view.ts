// A token as token list and show present it: never its secret.
import type { TokenRow } from '../store/tables.js';
import { isoTime, timeCell } from './format.js';

const KIND = { app: 'app (TOTP)', totp: 'TOTP fob', hotp: 'HOTP fob' } as const;

export interface TokenView {
  serial: string;
  kind: TokenRow['kind'];
  user: string | null;
  enabled: boolean;
  algorithm: string;
  digits: number;
  /** app, totp: seconds per code; null for hotp. */
  period: number | null;
  /** hotp: the counter value the next code has (at the least); null otherwise. */
  counter: number | null;
  /** totp: seconds the fob's clock is off this PBX's, as logins and resync learned it. */
  drift_seconds: number | null;
  last_used: string | null;
  created: string | null;
}

export function tokenView(k: TokenRow): TokenView {
  return {
    serial: k.serial,
    kind: k.kind,
    user: k.user_id,
    enabled: k.enabled === 1,
    algorithm: k.algorithm,
    digits: k.digits,
    period: k.period,
    counter: k.counter,
    drift_seconds: k.kind === 'hotp' ? null : k.drift * k.period!,
    last_used: isoTime(k.last_used),
    created: isoTime(k.created_at),
  };
}

export const TOKEN_HEADER = ['SERIAL', 'KIND', 'USER', 'CODES', 'POSITION', 'LAST USE', 'ENABLED'];

function codes(k: TokenRow): string {
  return `${k.digits} digits, ${k.algorithm}${k.period === null ? '' : `, ${k.period} s`}`;
}

function position(k: TokenRow): string {
  if (k.kind === 'hotp') return `counter ${k.counter}`;
  const seconds = k.drift * k.period!;
  return seconds === 0 ? '-' : `clock ${seconds > 0 ? '+' : ''}${seconds} s`;
}

export function tokenRow(k: TokenRow): string[] {
  return [k.serial, KIND[k.kind], k.user_id ?? '-', codes(k), position(k), timeCell(k.last_used), k.enabled ? 'yes' : 'no'];
}

/** One line of astotp show: what the token is and where it stands. */
export function tokenLine(k: TokenRow): string {
  const where = position(k);
  return `${k.serial}, ${KIND[k.kind]}, ${codes(k)}${where === '-' ? '' : `, ${where}`}${k.enabled ? '' : ', disabled'}, last used ${timeCell(k.last_used)}`;
}
