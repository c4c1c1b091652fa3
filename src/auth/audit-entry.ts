// Every call leaves the same kind of audit row: a judged attempt (TOTP or
// pbotp, inside the transaction that judged it) or a call that ended without
// one (timeout, hangup, error).
import type { Store } from '../store/store.js';
import type { Context } from './verifier.js';

export interface Ending {
  ok: boolean;
  reason: string;
  detail: string | null;
}

export function recordAuditEntry<V extends Ending>(store: Store, user: string | null, ctx: Context, at: number, verdict: V): V {
  store.audit.add({
    at,
    user,
    // An empty caller ID or channel name means none.
    caller_id: ctx.callerId || null,
    channel: ctx.channel || null,
    uniqueid: ctx.uniqueId || null,
    source: ctx.source,
    result: verdict.ok ? 'SUCCESS' : 'FAILURE',
    reason: verdict.reason,
    detail: verdict.detail,
  });
  return verdict;
}
