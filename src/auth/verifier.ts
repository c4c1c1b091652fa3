// The verification rules: one attempt is judged on all factors together,
// replay and lockout are checked and recorded in one transaction, and the
// answer never tells which factor was wrong or whether the user exists.
import type { Store } from '../store/store.js';
import type { UserRow } from '../store/users.js';
import { systemClock, type Clock } from './clock.js';
import { lockEnd, Lockout, type LockRules } from './lockout.js';
import type { MasterKey } from './master-key.js';
import { maskedId } from './masked-id.js';
import { verifyPin } from './pin-hash.js';
import { recordAuditEntry } from './audit-entry.js';
import { fail, pass, verdictOf, type Judgement, type Verdict } from './verdict.js';
import { openSecret } from './secret-box.js';
import { checkCode } from './totp.js';

export interface Rules extends LockRules {
  window: number;
}

export interface Attempt {
  /** null: the call named no possible user (e.g. a withheld caller ID); judged as an unknown user. */
  user: string | null;
  /** null when the PIN is not asked for (ask_pin = no); then only the code counts. */
  pin: string | null;
  code: string;
}

export interface Context {
  source: string;
  callerId?: string;
  channel?: string;
  uniqueId?: string;
}


export class Verifier {
  private readonly lockout: Lockout;

  constructor(
    private readonly store: Store,
    private readonly key: MasterKey,
    private readonly rules: Rules,
    private readonly now: Clock = systemClock,
  ) {
    this.lockout = new Lockout(store.userCounters, rules);
  }

  async judge(a: Attempt, ctx: Context): Promise<Verdict> {
    // The PIN hash is slow on purpose, so it runs before the write lock is taken;
    // the transaction then makes sure the hash it checked is still the current one.
    const before = a.user === null ? undefined : await this.store.read(() => this.store.users.get(a.user!));
    const pinOk = a.pin === null ? true : await verifyPin(this.key.pinPepper, a.pin, before?.pin_hash ?? null);
    return this.store.exclusive(() => {
      const now = this.now();
      const u = a.user === null ? undefined : this.store.users.get(a.user);
      // An ID nobody enrolled may be a PIN or code typed out of turn: logs get it masked.
      const shown = u ? u.id : a.user === null ? null : maskedId(this.key.idMask, a.user);
      const verdict = verdictOf(this.decide(u, before, a, pinOk, now), u?.id ?? '', shown);
      return recordAuditEntry(this.store, verdict.label, ctx, now, verdict);
    });
  }

  /** Only a known user can pass, so the verdict's label on a pass is always that user's ID. */
  private decide(u: UserRow | undefined, before: UserRow | undefined, a: Attempt, pinOk: boolean, now: number): Judgement {
    if (!u) return fail('bad-credentials', a.user === null ? 'no user ID (the caller ID is not a number)' : 'unknown user');
    const lockedUntil = lockEnd(u, now);
    if (lockedUntil !== null) return fail('locked', `locked until ${new Date(lockedUntil * 1000).toISOString()}`);
    if (!u.enabled) return fail('bad-credentials', 'user disabled');
    const secret = openSecret(this.key.secretKey, u.id, u.secret_box);
    if (secret === null) return fail('error', 'secret does not decrypt with this key file');
    const pinGood = pinOk && (a.pin === null || (before !== undefined && before.pin_hash === u.pin_hash));
    const code = checkCode({ secret, algorithm: u.algorithm, digits: u.digits, period: u.period }, a.code, {
      window: this.rules.window,
      afterStep: u.last_step,
      now,
    });
    if (pinGood && code.valid) {
      this.store.users.recordLogin(u.id, code.timeStep, now);
      this.lockout.success(u.id, now);
      return pass(a.pin === null ? 'code ok (PIN not asked)' : 'PIN and code ok');
    }
    const wrong = [pinGood ? null : 'wrong PIN', code.valid ? null : code.replayed ? 'replayed code' : 'wrong code'].filter(Boolean).join(', ');
    const lockStarted = this.lockout.failure(u.id, now) !== null;
    return fail('bad-credentials', lockStarted ? `${wrong}; now locked for ${this.rules.lockoutMinutes} min` : wrong);
  }
}
