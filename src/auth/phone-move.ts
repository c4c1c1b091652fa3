// A move to a new phone in progress in a web login: the new secret, made
// under the site's rules for new users, is sealed in the session's row and
// bound to that session (never to the user's row), shown until it is
// confirmed with the new app's code, cancelled, or MOVE_SECONDS have passed.
// The old secret keeps working until the confirmation commits (user-admin.ts
// replaceSecret). Only a login or a confirmation with PIN and a second
// factor starts one (account-login.ts, self-service.ts).
import type { Settings } from '../config/settings.js';
import type { LiveSession } from './login-sessions.js';
import type { MasterKey } from './master-key.js';
import { openSecret, sealSecret } from './secret-box.js';
import { newSecret, type TotpParams } from './totp.js';
import { sessionBinding } from './web-session.js';

/** Long enough to install an app and scan a code; the session's own limits may end it sooner. */
const MOVE_SECONDS = 15 * 60;

export type MoveRules = Pick<Settings, 'algorithm' | 'digits' | 'period'>;

/** What the session's data says of the move: the code parameters, and its end. */
interface MoveFacts {
  algorithm: TotpParams['algorithm'];
  digits: number;
  period: number;
  until: number;
}

export interface PendingMove {
  params: TotpParams;
  until: number;
}

/** A new secret for the move, and the session's data and sealed box that hold it. */
export function newMove(
  key: MasterKey,
  rules: MoveRules,
  now: number,
  data: Record<string, unknown>,
): { data: Record<string, unknown>; seal: (hash: string) => Buffer } {
  const secret = newSecret();
  const move: MoveFacts = { algorithm: rules.algorithm, digits: rules.digits, period: rules.period, until: now + MOVE_SECONDS };
  return { data: { ...data, move }, seal: (hash) => sealSecret(key.secretKey, sessionBinding(hash), secret) };
}

/** The move the session holds, null when none (or it ran out, or its box does not open). */
export function pendingMove(key: MasterKey, s: LiveSession, now: number): PendingMove | null {
  const m = s.data.move as MoveFacts | undefined;
  if (!m || s.secretBox === null || m.until <= now) return null;
  const secret = openSecret(key.secretKey, sessionBinding(s.hash), s.secretBox);
  if (secret === null) return null;
  return {
    params: { secret, algorithm: m.algorithm, digits: m.digits, period: m.period },
    until: Math.min(m.until, s.endsAt),
  };
}

/** The session's data without a move. */
export function withoutMove(data: Record<string, unknown>): Record<string, unknown> {
  const { move: _move, ...rest } = data;
  return rest;
}
