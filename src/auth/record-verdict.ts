// Every judged attempt, TOTP or pbotp, leaves the same kind of audit row,
// written inside the transaction that judged it.
import type { Store } from '../store/store.js';
import type { Context, Verdict } from './verifier.js';

export function recordVerdict(store: Store, user: string, ctx: Context, at: number, verdict: Verdict): Verdict {
  store.audit.add({
    at,
    user,
    caller_id: ctx.callerId ?? null,
    channel: ctx.channel ?? null,
    uniqueid: ctx.uniqueId ?? null,
    source: ctx.source,
    result: verdict.ok ? 'SUCCESS' : 'FAILURE',
    reason: verdict.reason,
    detail: verdict.detail,
  });
  return verdict;
}
