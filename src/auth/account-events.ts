// What happened to an account that the people who look after it should
// hear of: whoever has the PIN may be guessing codes, someone logged in with
// a recovery code, a PIN or secret was changed. An event never holds a PIN,
// a code or a secret; the sinks (syslog, a command, mail, an Asterisk
// UserEvent) are the notify layer's, and none may delay or change a call.
import type { Context } from './verifier.js';

export type AccountEventKind =
  /** A temporary lock started. */
  | 'lock'
  /** Locked until an admin unlocks it. */
  | 'hard-lock'
  /** A streak of failures with the right PIN: the PIN is probably known to someone, the user should change it. */
  | 'pin-streak'
  | 'recovery-code-used'
  /** A login after several failures: was it the user who failed? */
  | 'login-after-failures'
  | 'pin-changed'
  | 'secret-changed';

export const ACCOUNT_EVENT_KINDS: readonly AccountEventKind[] = [
  'lock',
  'hard-lock',
  'pin-streak',
  'recovery-code-used',
  'login-after-failures',
  'pin-changed',
  'secret-changed',
];

export interface AccountEvent {
  kind: AccountEventKind;
  /** An enrolled user's ID: events are never about IDs nobody enrolled. */
  user: string;
  /** Unix seconds. */
  at: number;
  /** Where it happened: the audit source (agi, fastagi, web, admin, phone...) and the PBX. */
  source: string;
  pbx: string;
  /** A lock's end (null for a lock until unlocked), or the failures or codes the event counts. */
  until?: number | null;
  count?: number;
  /** The call it came from, as Asterisk named it; caller-controlled, so every sink filters it. */
  callerId?: string;
  channel?: string;
  uniqueId?: string;
}

/** The facts of an event a judgement found, before its user, time and place are known. */
export type EventFact = Omit<AccountEvent, 'user' | 'at' | 'source' | 'pbx' | 'callerId' | 'channel' | 'uniqueId'>;

export function accountEvent(fact: EventFact, user: string, at: number, ctx: Context): AccountEvent {
  return {
    ...fact,
    user,
    at,
    source: ctx.source,
    pbx: ctx.pbx,
    ...(ctx.callerId ? { callerId: ctx.callerId } : {}),
    ...(ctx.channel ? { channel: ctx.channel } : {}),
    ...(ctx.uniqueId ? { uniqueId: ctx.uniqueId } : {}),
  };
}
