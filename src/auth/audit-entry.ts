// Every call leaves the same kind of audit row: a judged attempt (TOTP or
// pbotp, inside the transaction that judged it) or a call that ended without
// one (timeout, hangup, error).
import type { StoreTx } from '../store/tables.js';
import type { Context } from './verifier.js';

export interface Ending {
  ok: boolean;
  reason: string;
  detail: string | null;
}

export async function recordAuditEntry<V extends Ending>(
  t: StoreTx,
  user: string | null,
  ctx: Context,
  at: number,
  verdict: V,
): Promise<V> {
  await t.audit.add({
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
    pbx: ctx.pbx,
  });
  return verdict;
}
