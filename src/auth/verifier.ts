// The verification rules: one attempt is judged on all factors together,
// replay and lockout are checked and recorded in one transaction, and the
// answer never tells which factor was wrong or whether the user exists.
import type { Store } from '../store/store.js';
import type { StoreTx, UserRow } from '../store/tables.js';
import { shownTime, systemClock, type Clock } from './clock.js';
import { isHardLock, lockEnd, Lockout, type LockRules } from './lockout.js';
import type { MasterKey } from './master-key.js';
import { maskedId } from './masked-id.js';
import { hashPin, isUnboundPinHash, verifyPin } from './pin-hash.js';
import { type AccountEvent, accountEvent, type EventFact } from './account-events.js';
import { recordAuditEntry } from './audit-entry.js';
import { fail, pass, verdictOf, type Judgement, type Verdict } from './verdict.js';
import { openSecret, sealSecret } from './secret-box.js';
import { checkCode, newSecret } from './totp.js';
import { recoveryCodeOf, recoveryCodesLeft, recoveryHash } from './recovery-codes.js';

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

/**
 * The code's part of a judgement: checked, not yet used up. `use` records
 * the login, false when another call got there first. `spend`, where there
 * is one, uses the code up although the attempt failed: a recovery code
 * lives until it is used, so one a sniffer heard in a failed attempt (a
 * mistyped PIN) must die there too.
 */
type SecondFactor =
  | { ok: false; wrong: string }
  | { ok: true; use: () => Promise<boolean>; passed: (noPin: boolean) => Promise<string>; spend?: () => Promise<boolean> };

const HARD_LOCKED = 'locked until an admin unlocks it';

/** Failures (or right-PIN failures) before a login that make it news: three, as a typo or two is not. */
const AFTER_FAILURES = 3;

/** No enrolled ID has a NUL in it. */
const STAND_IN_ID = '\0unknown';

export class Verifier {
  private standInRow: UserRow | undefined;

  constructor(
    private readonly store: Store,
    private readonly key: MasterKey,
    private readonly rules: Rules,
    private readonly now: Clock = systemClock,
  ) {}

  async judge(a: Attempt, ctx: Context): Promise<Verdict> {
    // The PIN hash is slow on purpose, so it runs before the write lock is taken;
    // the transaction then makes sure the hash it checked is still the current one.
    // An attempt that names no user reads as one for an unknown ID: the same reads.
    const before = await this.store.read((t) => t.users.get(a.user ?? ''));
    const pinOk = a.pin === null ? true : await verifyPin(this.key.pinPepper, before?.id ?? '', a.pin, before?.pin_hash ?? null);
    const verdict = await this.store.exclusive(async (t) => {
      const now = this.now();
      const u = await t.users.get(a.user ?? '');
      // An ID nobody enrolled may be a PIN or code typed out of turn: logs get it masked.
      const shown = u ? u.id : a.user === null ? null : maskedId(this.key.idMask, a.user);
      const v = verdictOf(await this.decide(t, u, before, a, pinOk, now, ctx), u?.id ?? '', shown);
      return recordAuditEntry(t, v.label, ctx, now, v);
    });
    if (verdict.ok && a.pin !== null && isUnboundPinHash(before?.pin_hash ?? null)) await this.bindPinHash(before!, a.pin);
    return verdict;
  }

  /** Only a known user can pass, so the verdict's label on a pass is always that user's ID. */
  private async decide(
    t: StoreTx,
    u: UserRow | undefined,
    before: UserRow | undefined,
    a: Attempt,
    pinOk: boolean,
    now: number,
    ctx: Context,
  ): Promise<Judgement> {
    if (!u) return this.unknownUser(t, a, now);
    const event = (fact: EventFact) => accountEvent(fact, u.id, now, ctx);
    const lockedUntil = lockEnd(u, now);
    if (lockedUntil !== null) return fail('locked', isHardLock(lockedUntil) ? HARD_LOCKED : `locked until ${shownTime(lockedUntil)}`);
    if (!u.enabled) return fail('bad-credentials', 'user disabled');
    const secret = openSecret(this.key.secretKey, u.id, u.secret_box);
    if (secret === null) return fail('error', 'secret does not decrypt with this key file');
    const pinGood = pinOk && (a.pin === null || (before !== undefined && before.pin_hash === u.pin_hash));
    const recovery = recoveryCodeOf(a.code);
    // Both kinds read the same whatever the PIN was; only a pass writes more.
    const second = recovery === null ? this.totpFactor(t, u, secret, a.code, now) : await this.recoveryFactor(t, u, recovery, now);
    const lockout = new Lockout(t.userCounters, this.rules);
    if (pinGood && second.ok && (await second.use())) {
      await lockout.success(u.id, now);
      const events: AccountEvent[] = [];
      if (recovery !== null) events.push(event({ kind: 'recovery-code-used', count: await recoveryCodesLeft(t, u.id) }));
      if (u.failures >= AFTER_FAILURES || u.pin_streak >= AFTER_FAILURES || u.lock_level > 0)
        events.push(event({ kind: 'login-after-failures', count: Math.max(u.failures, u.pin_streak) }));
      return { ...pass(await second.passed(a.pin === null)), ...(events.length ? { events } : {}) };
    }
    const spent = !pinGood && second.ok && second.spend ? await second.spend() : false;
    // A recovery code used by a call that committed meanwhile is refused as used.
    const wrong = [
      pinGood ? null : 'wrong PIN',
      second.ok ? (pinGood ? 'used recovery code' : spent ? 'recovery code used up' : null) : second.wrong,
    ]
      .filter(Boolean)
      .join(', ');
    // Only a PIN that was asked, checked and right counts towards the bound for good.
    const pinRight = pinGood && a.pin !== null && u.pin_hash !== null;
    const { lock, streak } = await lockout.failure(u.id, now, { pinRight });
    // The streak's length goes with every failure that raised it: the notify settings say which length is news.
    const events = [
      ...(pinRight ? [event({ kind: 'pin-streak', count: streak })] : []),
      ...(lock
        ? [event(lock.minutes === null ? { kind: 'hard-lock', until: null, count: streak } : { kind: 'lock', until: lock.until })]
        : []),
    ];
    const failed = (detail: string): Judgement => ({ ...fail('bad-credentials', detail), ...(events.length ? { events } : {}) });
    if (!lock) return failed(wrong);
    if (lock.minutes === null) return failed(`${wrong}; ${streak} failures with the right PIN in a row: now ${HARD_LOCKED}`);
    const why =
      lock.level === null
        ? ''
        : ` (lock ${lock.level} of a streak of ${streak} ${streak === 1 ? 'failure' : 'failures'} with the right PIN since the last login)`;
    return failed(`${wrong}; now locked for ${lock.minutes} min${why}`);
  }

  /**
   * An ID nobody enrolled, judged with the same store calls in the same
   * order as an enrolled user's wrong code (the second factor's reads, the
   * failure count, which finds no row to hold it) and the same crypto, so
   * that neither FastAGI's timing nor anything else tells who exists.
   */
  private async unknownUser(t: StoreTx, a: Attempt, now: number): Promise<Judgement> {
    const id = a.user ?? '';
    const stand = this.standIn();
    const secret = openSecret(this.key.secretKey, stand.id, stand.secret_box) ?? '';
    const recovery = recoveryCodeOf(a.code);
    if (recovery === null) this.totpFactor(t, stand, secret, a.code, now);
    else await this.recoveryFactor(t, { ...stand, id }, recovery, now);
    await new Lockout(t.userCounters, this.rules).failure(id, now);
    return fail('bad-credentials', a.user === null ? 'no user ID (the caller ID is not a number)' : 'unknown user');
  }

  /** A user row nobody has, with a secret sealed by this key: what an unknown ID's attempt is checked against. */
  private standIn(): UserRow {
    this.standInRow ??= {
      id: STAND_IN_ID,
      pin_hash: null,
      secret_box: sealSecret(this.key.secretKey, STAND_IN_ID, newSecret()),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      enabled: 1,
      failures: 0,
      pin_streak: 0,
      lock_level: 0,
      locked_until: null,
      last_step: null,
      last_success: null,
      created_at: 0,
      updated_at: 0,
      display_name: null,
      email: null,
      language: null,
    };
    return this.standInRow;
  }

  private totpFactor(t: StoreTx, u: UserRow, secret: string, code: string, now: number): SecondFactor {
    const c = checkCode({ secret, algorithm: u.algorithm, digits: u.digits, period: u.period }, code, {
      window: this.rules.window,
      afterStep: u.last_step,
      now,
    });
    if (!c.valid) return { ok: false, wrong: c.replayed ? 'replayed code' : wrongCode(c.offBy, u.period) };
    return {
      ok: true,
      use: async () => {
        await t.users.recordLogin(u.id, c.timeStep, now);
        return true;
      },
      passed: async (noPin) => (noPin ? 'code ok (PIN not asked)' : 'PIN and code ok'),
    };
  }

  private async recoveryFactor(t: StoreTx, u: UserRow, code: string, now: number): Promise<SecondFactor> {
    const hash = recoveryHash(this.key.recoveryPepper, u.id, code);
    const usedAt = await t.recoveryCodes.usedAt(u.id, hash);
    if (usedAt === undefined) return { ok: false, wrong: 'wrong recovery code' };
    if (usedAt !== null) return { ok: false, wrong: `recovery code used ${shownTime(usedAt)}` };
    return {
      ok: true,
      use: async () => {
        if (!(await t.recoveryCodes.use(u.id, hash, now))) return false;
        // No time step was used: the replay mark of TOTP codes stays.
        await t.users.recordLogin(u.id, null, now);
        return true;
      },
      passed: async (noPin) => `recovery code ok (${await recoveryCodesLeft(t, u.id)} left${noPin ? ', PIN not asked' : ''})`,
      spend: () => t.recoveryCodes.use(u.id, hash, now),
    };
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
