// The verification rules for pbotp callers: the PBX holds no secret per user,
// so a user ID is only the login name the authority signs. Lockout works as
// for enrolled users, counted per user ID in the throttle table; lock check,
// the single check of the attempt and the audit row share one transaction.
// Until a right response proves it, a typed ID may be anything (a PIN typed
// out of turn): logs mask it and throttle rows are keyed by a keyed hash.
import { createHmac } from 'node:crypto';
import type { PbotpAttempt } from '../pbotp/attempt.js';
import type { Store } from '../store/store.js';
import type { StoreTx } from '../store/tables.js';
import type { Context } from './verifier.js';
import { fail, pass, verdictOf, type Judgement, type Verdict } from './verdict.js';
import { shownTime, systemClock, type Clock } from './clock.js';
import { Lockout, type LockRules } from './lockout.js';
import { maskedId } from './masked-id.js';
import { recordAuditEntry } from './audit-entry.js';

/** How versions before the hashed keys named a pbotp login's row: 'pbotp:1001'. */
const TYPED_ID_PREFIX = 'pbotp:';

/** Throttle key of a pbotp login; `astotp unlock USER` clears it too. */
export function pbotpThrottleId(idMask: Buffer, user: string): string {
  return `pbotp-mac:${createHmac('sha256', idMask).update(`${TYPED_ID_PREFIX}${user}`).digest('hex').slice(0, 32)}`;
}

/**
 * Moves rows an earlier version keyed by the typed ID under their hashed key,
 * keeping their failures and locks; inside a write transaction. Done on use
 * rather than as a schema migration because only the key file can compute
 * the new key, and a migration runs without it; once done, the prefix read
 * that finds nothing is all it costs.
 */
export async function rekeyTypedIds(t: StoreTx, idMask: Buffer): Promise<void> {
  for (const id of await t.throttle.idsStartingWith(TYPED_ID_PREFIX)) {
    await t.throttle.rename(id, pbotpThrottleId(idMask, id.slice(TYPED_ID_PREFIX.length)));
  }
}

export class PbotpVerifier {
  constructor(
    private readonly store: Store,
    private readonly idMask: Buffer,
    private readonly rules: LockRules,
    private readonly now: Clock = systemClock,
  ) {}

  /** How logs name a login that no right response has proved. */
  private label(user: string): string {
    return maskedId(this.idMask, user);
  }

  /**
   * A 'locked' verdict (audited) when the user is locked now, else null. Lets
   * the call skip reading out a challenge that could not succeed anyway.
   */
  async refuseIfLocked(user: string, ctx: Context): Promise<Verdict | null> {
    // Only a shortcut: judge() checks the lock again in its transaction.
    const typedIds = await this.store.read(async (t) => (await t.throttle.idsStartingWith(TYPED_ID_PREFIX)).length);
    if (typedIds > 0) await this.store.exclusive((t) => rekeyTypedIds(t, this.idMask));
    const now = this.now();
    const until = await this.store.read((t) => this.lockout(t).lockedUntil(pbotpThrottleId(this.idMask, user), now));
    return until === null ? null : this.store.exclusive((t) => this.record(t, user, ctx, now, locked(until)));
  }

  /** The audited verdict for a call that names no possible user (caller ID not a number). */
  refuseNoUser(ctx: Context): Promise<Verdict> {
    const now = this.now();
    const verdict = verdictOf(fail('bad-credentials', 'no user ID (the caller ID is not a number)'), '', null);
    return this.store.exclusive((t) => recordAuditEntry(t, null, ctx, now, verdict));
  }

  /**
   * Judges the response typed for `attempt`; the attempt is used up whatever
   * the verdict. Its check runs once, before the transaction, which a
   * conflict with another PBX may run again: the one-try rule is the
   * attempt's, the lock and the count the transaction's.
   */
  judge(user: string, attempt: PbotpAttempt, typed: string, digits: number, ctx: Context): Promise<Verdict> {
    const right = attempt.verifyCode(typed, digits);
    return this.store.exclusive(async (t) => {
      const now = this.now();
      await rekeyTypedIds(t, this.idMask);
      const id = pbotpThrottleId(this.idMask, user);
      const lockout = this.lockout(t);
      const until = await lockout.lockedUntil(id, now);
      if (until !== null) return this.record(t, user, ctx, now, locked(until));
      if (right) {
        await lockout.success(id, now);
        return this.record(t, user, ctx, now, pass('pbotp response ok'));
      }
      const lockStarted = (await lockout.failure(id, now)).lock !== null;
      const detail = lockStarted ? `pbotp wrong response; now locked for ${this.rules.lockoutMinutes} min` : 'pbotp wrong response';
      return this.record(t, user, ctx, now, fail('bad-credentials', detail));
    });
  }

  private lockout(t: StoreTx): Lockout {
    return new Lockout(t.throttle, this.rules);
  }

  /** Audits the verdict under the ID a right response proved, else under the masked one. */
  private record(t: StoreTx, user: string, ctx: Context, now: number, j: Judgement): Promise<Verdict> {
    const verdict = verdictOf(j, user, this.label(user));
    return recordAuditEntry(t, verdict.label, ctx, now, verdict);
  }
}

function locked(until: number): Judgement {
  return fail('locked', `pbotp locked until ${shownTime(until)}`);
}
