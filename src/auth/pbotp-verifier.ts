// The verification rules for pbotp callers: the PBX holds no secret per user,
// so a user ID is only the login name the authority signs. Lockout works as
// for enrolled users, counted per user ID in the throttle table; lock check,
// the single check of the attempt and the audit row share one transaction.
import type { PbotpAttempt } from '../pbotp/attempt.js';
import type { Store } from '../store/store.js';
import type { Context, Reason, Rules, Verdict } from './verifier.js';
import { recordVerdict } from './record-verdict.js';

export type LockRules = Pick<Rules, 'lockoutFailures' | 'lockoutMinutes'>;

/** Throttle key of a pbotp login; `astotp unlock USER` clears it too. */
export function pbotpThrottleId(user: string): string {
  return `pbotp:${user}`;
}

export class PbotpVerifier {
  constructor(
    private readonly store: Store,
    private readonly rules: LockRules,
  ) {}

  /**
   * A 'locked' verdict (audited) when the user is locked now, else null. Lets
   * the call skip reading out a challenge that could not succeed anyway.
   */
  async refuseIfLocked(user: string, ctx: Context): Promise<Verdict | null> {
    // Only a shortcut: judge() checks the lock again in its transaction.
    const now = Math.floor(Date.now() / 1000);
    const until = await this.store.read(() => this.store.throttle.lockedUntil(pbotpThrottleId(user), now));
    return until === null ? null : this.store.exclusive(() => recordVerdict(this.store, user, ctx, now, locked(until)));
  }

  refuseNoUser(ctx: Context): Promise<Verdict> {
    const now = Math.floor(Date.now() / 1000);
    return this.store.exclusive(() => recordVerdict(this.store, null, ctx, now, fail('bad-credentials', 'no user ID (the caller ID is not a number)')));
  }

  /** Judges the response typed for `attempt`; the attempt is used up whatever the verdict. */
  judge(user: string, attempt: PbotpAttempt, typed: string, digits: number, ctx: Context): Promise<Verdict> {
    return this.store.exclusive(() => {
      const now = Math.floor(Date.now() / 1000);
      const id = pbotpThrottleId(user);
      const until = this.store.throttle.lockedUntil(id, now);
      // Checking consumes the attempt, right or wrong, so it runs on every path.
      const right = attempt.verifyCode(typed, digits);
      if (until !== null) return recordVerdict(this.store, user, ctx, now, locked(until));
      if (right) {
        this.store.throttle.clear(id);
        return recordVerdict(this.store, user, ctx, now, { ok: true, reason: 'ok', detail: 'pbotp response ok' });
      }
      const lockedNow = this.store.throttle.recordFailure(id, now, this.rules.lockoutFailures, this.rules.lockoutMinutes * 60);
      const detail = lockedNow === null ? 'pbotp wrong response' : `pbotp wrong response; now locked for ${this.rules.lockoutMinutes} min`;
      return recordVerdict(this.store, user, ctx, now, fail('bad-credentials', detail));
    });
  }
}

function fail(reason: Reason, detail: string): Verdict {
  return { ok: false, reason, detail };
}

function locked(until: number): Verdict {
  return fail('locked', `pbotp locked until ${new Date(until * 1000).toISOString()}`);
}
