// The verification rules: one attempt is judged on all factors together,
// replay and lockout are checked and recorded in one transaction, and the
// answer never tells which factor was wrong or whether the user exists.
import type { Store } from '../store/store.js';
import type { StoreTx, TokenRow, UserRow } from '../store/tables.js';
import { shownTime, systemClock, type Clock } from './clock.js';
import { isHardLock, lockEnd, Lockout, type LockRules } from './lockout.js';
import type { MasterKey } from './master-key.js';
import { maskedId } from './masked-id.js';
import { hashPin, isUnboundPinHash, verifyPin } from './pin-hash.js';
import { type AccountEvent, accountEvent, type EventFact } from './account-events.js';
import { recordAuditEntry } from './audit-entry.js';
import { fail, pass, verdictOf, type Judgement, type Verdict } from './verdict.js';
import { newSecret } from './totp.js';
import { recoveryCodeOf, recoveryCodesLeft, recoveryHash } from './recovery-code-rules.js';
import { endUserSessions } from './session-ends.js';
import { checkTokenCode, type CodeRules, openTokenSecret, sealTokenSecret, tokenLabel } from './tokens.js';

export interface Rules extends LockRules, CodeRules {}

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
 * The code's part of a judgement, a token's code or a recovery code. Not
 * the user's: `wrong` says why, for the audit log; `error` when no code
 * could be checked at all (no secret opens with this key file). The
 * user's, checked but not yet used up: `use` records the login, false when
 * another call got there first (then `lost` says so), and `passed` is the
 * log's words for the login. `spend`, where there is one, uses the code up
 * although the attempt failed (then `spent` says so): a recovery code or
 * an HOTP code lives until it is used, so one a sniffer heard in a failed
 * attempt (a mistyped PIN) must die there too.
 */
type SecondFactor =
  | { ok: false; wrong: string; error?: true }
  | {
      ok: true;
      use: () => Promise<boolean>;
      lost: string;
      passed: (noPin: boolean) => Promise<string>;
      spend?: () => Promise<boolean>;
      spent?: string;
    };

const HARD_LOCKED = 'locked until an admin unlocks it';

/** Failures (or right-PIN failures) before a login that make it news: three, as a typo or two is not. */
const AFTER_FAILURES = 3;

/** No enrolled ID has a NUL in it. */
const STAND_IN_ID = '\0unknown';

export class Verifier {
  private standInTokens: TokenRow[] | undefined;

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
    const pinGood = pinOk && (a.pin === null || (before !== undefined && before.pin_hash === u.pin_hash));
    const recovery = recoveryCodeOf(a.code);
    // Both kinds read the same whatever the PIN was; only a pass writes more.
    const second =
      recovery === null
        ? this.tokenFactor(t, u.id, await t.tokens.ofUser(u.id), a.code, now)
        : await this.recoveryFactor(t, u, recovery, now);
    if (!second.ok && second.error) return fail('error', second.wrong);
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
    // A code another call used up meanwhile (it committed first) is refused as replayed or used.
    const wrong = [pinGood ? null : 'wrong PIN', second.ok ? (pinGood ? second.lost : spent ? second.spent : null) : second.wrong]
      .filter(Boolean)
      .join(', ');
    // Only a PIN that was asked, checked and right counts towards the bound for good.
    const pinRight = pinGood && a.pin !== null && u.pin_hash !== null;
    const { lock, streak } = await lockout.failure(u.id, now, { pinRight });
    // A lock ends the user's web logins too: the guesser may be the one holding a session.
    if (lock) await endUserSessions(t, u.id);
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
    const recovery = recoveryCodeOf(a.code);
    if (recovery === null) {
      await t.tokens.ofUser(id);
      this.tokenFactor(t, STAND_IN_ID, this.standIn(), a.code, now);
    } else await this.recoveryFactor(t, { id }, recovery, now);
    await new Lockout(t.userCounters, this.rules).failure(id, now);
    return fail('bad-credentials', a.user === null ? 'no user ID (the caller ID is not a number)' : 'unknown user');
  }

  /** A token nobody has, with a secret sealed by this key: what an unknown ID's attempt is checked against. */
  private standIn(): TokenRow[] {
    this.standInTokens ??= [
      {
        serial: `app:${STAND_IN_ID}`,
        kind: 'app',
        user_id: STAND_IN_ID,
        secret_box: sealTokenSecret(this.key.secretKey, `app:${STAND_IN_ID}`, STAND_IN_ID, newSecret()),
        algorithm: 'SHA1',
        digits: 6,
        period: 30,
        counter: null,
        last_step: null,
        drift: 0,
        enabled: 1,
        last_used: null,
        created_at: 0,
        updated_at: 0,
      },
    ];
    return this.standInTokens;
  }

  /**
   * A code is the user's when it is one of any of its enabled tokens; each
   * token is judged by its own replay mark, and the first that takes the
   * code is the one used up. What was wrong, token by token, is for the
   * audit log only: the caller hears nothing of which token was tried.
   */
  private tokenFactor(t: StoreTx, user: string, tokens: readonly TokenRow[], code: string, now: number): SecondFactor {
    const enabled = tokens.filter((k) => k.enabled);
    if (enabled.length === 0) return { ok: false, wrong: tokens.length === 0 ? 'no token' : 'every token disabled' };
    const notes: string[] = [];
    const unreadable: string[] = [];
    for (const k of enabled) {
      const secret = openTokenSecret(this.key.secretKey, k);
      if (secret === null) {
        unreadable.push(tokenLabel(k));
        continue;
      }
      const c = checkTokenCode(k, secret, code, this.rules, now);
      const label = `token ${tokenLabel(k)}`;
      if (c.ok)
        return {
          ok: true,
          use: async () => {
            if (!(await t.tokens.use(k.serial, c.to, now))) return false;
            await t.users.recordLogin(user, now);
            return true;
          },
          lost: `replayed code (${label})`,
          passed: async (noPin) => (noPin ? `code ok (${label}, PIN not asked)` : `PIN and code ok (${label})`),
          // An HOTP code stays good until used: one heard with a wrong PIN must not be left to the listener.
          ...(k.kind === 'hotp' ? { spend: () => t.tokens.use(k.serial, c.to, now), spent: `code used up (${label})` } : {}),
        };
      if (c.replayed) notes.push(`replayed code (${label})`);
      else if (c.note !== null) notes.push(`${c.note} on ${label}`);
    }
    if (unreadable.length === enabled.length)
      return { ok: false, error: true, wrong: `the secret of token ${unreadable.join(', ')} does not decrypt with this key file` };
    if (unreadable.length > 0) notes.push(`the secret of token ${unreadable.join(', ')} does not decrypt with this key file`);
    return { ok: false, wrong: notes.length > 0 ? notes.join(', ') : 'wrong code' };
  }

  private async recoveryFactor(t: StoreTx, u: Pick<UserRow, 'id'>, code: string, now: number): Promise<SecondFactor> {
    const hash = recoveryHash(this.key.recoveryPepper, u.id, code);
    const usedAt = await t.recoveryCodes.usedAt(u.id, hash);
    if (usedAt === undefined) return { ok: false, wrong: 'wrong recovery code' };
    if (usedAt !== null) return { ok: false, wrong: `recovery code used ${shownTime(usedAt)}` };
    return {
      ok: true,
      use: async () => {
        if (!(await t.recoveryCodes.use(u.id, hash, now))) return false;
        // No token's code was used: their replay marks stay.
        await t.users.recordLogin(u.id, now);
        return true;
      },
      lost: 'used recovery code',
      passed: async (noPin) => `recovery code ok (${await recoveryCodesLeft(t, u.id)} left${noPin ? ', PIN not asked' : ''})`,
      spend: () => t.recoveryCodes.use(u.id, hash, now),
      spent: 'recovery code used up',
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
