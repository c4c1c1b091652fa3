// The verification rules: one attempt is judged on all factors together,
// replay and lockout are checked and recorded in one transaction, and the
// answer never tells which factor was wrong or whether the user exists.
import type { Store } from '../store/store.js';
import type { StoreTx, UserRow } from '../store/tables.js';
import { shownTime, systemClock, type Clock } from './clock.js';
import { lockEnd, Lockout, type LockRules } from './lockout.js';
import type { MasterKey } from './master-key.js';
import { maskedId } from './masked-id.js';
import { hashPin, isUnboundPinHash, verifyPin } from './pin-hash.js';
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
  /** The PBX the attempt came to (pbx_name). */
  pbx: string;
  callerId?: string;
  channel?: string;
  uniqueId?: string;
}


export class Verifier {
  constructor(
    private readonly store: Store,
    private readonly key: MasterKey,
    private readonly rules: Rules,
    private readonly now: Clock = systemClock,
  ) {}

  async judge(a: Attempt, ctx: Context): Promise<Verdict> {
    // The PIN hash is slow on purpose, so it runs before the write lock is taken;
    // the transaction then makes sure the hash it checked is still the current one.
    const before = a.user === null ? undefined : await this.store.read((t) => t.users.get(a.user!));
    const pinOk = a.pin === null ? true : await verifyPin(this.key.pinPepper, before?.id ?? '', a.pin, before?.pin_hash ?? null);
    const verdict = await this.store.exclusive(async (t) => {
      const now = this.now();
      const u = a.user === null ? undefined : await t.users.get(a.user);
      // An ID nobody enrolled may be a PIN or code typed out of turn: logs get it masked.
      const shown = u ? u.id : a.user === null ? null : maskedId(this.key.idMask, a.user);
      const v = verdictOf(await this.decide(t, u, before, a, pinOk, now), u?.id ?? '', shown);
      return recordAuditEntry(t, v.label, ctx, now, v);
    });
    if (verdict.ok && a.pin !== null && isUnboundPinHash(before?.pin_hash ?? null)) await this.bindPinHash(before!, a.pin);
    return verdict;
  }

  /** Only a known user can pass, so the verdict's label on a pass is always that user's ID. */
  private async decide(t: StoreTx, u: UserRow | undefined, before: UserRow | undefined, a: Attempt, pinOk: boolean, now: number): Promise<Judgement> {
    if (!u) return fail('bad-credentials', a.user === null ? 'no user ID (the caller ID is not a number)' : 'unknown user');
    const lockedUntil = lockEnd(u, now);
    if (lockedUntil !== null) return fail('locked', `locked until ${shownTime(lockedUntil)}`);
    if (!u.enabled) return fail('bad-credentials', 'user disabled');
    const secret = openSecret(this.key.secretKey, u.id, u.secret_box);
    if (secret === null) return fail('error', 'secret does not decrypt with this key file');
    const pinGood = pinOk && (a.pin === null || (before !== undefined && before.pin_hash === u.pin_hash));
    const code = checkCode({ secret, algorithm: u.algorithm, digits: u.digits, period: u.period }, a.code, {
      window: this.rules.window,
      afterStep: u.last_step,
      now,
    });
    const lockout = new Lockout(t.userCounters, this.rules);
    if (pinGood && code.valid) {
      await t.users.recordLogin(u.id, code.timeStep, now);
      await lockout.success(u.id, now);
      return pass(a.pin === null ? 'code ok (PIN not asked)' : 'PIN and code ok');
    }
    const wrong = [pinGood ? null : 'wrong PIN', code.valid ? null : code.replayed ? 'replayed code' : wrongCode(code.offBy, u.period)].filter(Boolean).join(', ');
    const lockStarted = (await lockout.failure(u.id, now)) !== null;
    return fail('bad-credentials', lockStarted ? `${wrong}; now locked for ${this.rules.lockoutMinutes} min` : wrong);
  }

  /**
   * A right PIN under a hash from before hashes named their user: written
   * again bound to the user, unless an admin changed it meanwhile. Best
   * effort: the login has already succeeded and is not undone by a failure here.
   */
  private async bindPinHash(before: UserRow, pin: string): Promise<void> {
    try {
      const bound = await hashPin(this.key.pinPepper, before.id, pin);
      await this.store.exclusive(async (t) => {
        if ((await t.users.get(before.id))?.pin_hash === before.pin_hash) await t.users.setPin(before.id, bound);
      });
    } catch {
      // The old hash still verifies; the next login tries again.
    }
  }
}

/** For the admin only (audit detail, never the caller): a code right a few steps away points at a clock, not a guesser. */
function wrongCode(offBy: number | null, period: number): string {
  if (offBy === null) return 'wrong code';
  const steps = Math.abs(offBy);
  return `code off by ${steps} step${steps === 1 ? '' : 's'} (${steps * period} s ${offBy > 0 ? 'ahead of' : 'behind'} this PBX's clock)`;
}
