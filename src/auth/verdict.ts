// What judging one attempt comes to, for TOTP and pbotp alike. The types
// make the impossible unbuildable: a pass has reason ok and names the
// verified user; a failure never has reason ok.
import type { AccountEvent } from './account-events.js';

/** What the dialplan sees as ASTOTP_REASON. */
export type Reason = 'ok' | 'bad-credentials' | 'locked' | 'error';

/**
 * A judgement, before it is known how the logs name the user. `detail` is
 * for the audit log and the admin only; `events`, what the account's
 * people should hear of (auth/account-events.ts).
 */
export type Judgement =
  | { ok: true; detail: string; events?: AccountEvent[] }
  | { ok: false; reason: Exclude<Reason, 'ok'>; detail: string; events?: AccountEvent[] };

/**
 * A judged attempt. `label` is who it was for, as logs may name it: an
 * enrolled user's ID, else a masked form of what was typed; null when the
 * call named no possible user.
 */
export type Verdict =
  | { ok: true; reason: 'ok'; detail: string; label: string; events?: AccountEvent[] }
  | { ok: false; reason: Exclude<Reason, 'ok'>; detail: string; label: string | null; events?: AccountEvent[] };

export const pass = (detail: string): Judgement => ({ ok: true, detail });

export const fail = (reason: Exclude<Reason, 'ok'>, detail: string): Judgement => ({ ok: false, reason, detail });

/** A pass is logged under the user it verified; a failure under what logs may show of the typed ID. */
export function verdictOf(j: Judgement, verified: string, shown: string | null): Verdict {
  return j.ok
    ? { ok: true, reason: 'ok', detail: j.detail, label: verified, ...(j.events ? { events: j.events } : {}) }
    : { ...j, label: shown };
}
