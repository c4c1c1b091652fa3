// What a call needs of verification, and nothing more: judge a TOTP attempt,
// judge pbotp attempts, record an ending that no judged attempt recorded.
// The call layer never holds the store or the key file itself.
import type { Settings } from '../config/settings.js';
import { recordAuditEntry, type Ending } from './audit-entry.js';
import type { Clock } from './clock.js';
import type { Actor, ActorSource } from './admin-audit.js';
import { openAuthNonBlocking } from './open-auth.js';
import type { PbotpVerifier } from './pbotp-verifier.js';
import type { Verdict } from './verdict.js';
import type { Attempt, Context } from './verifier.js';

export interface CallAuth {
  /** Judges one TOTP attempt (ID, PIN, code) and records it, in one transaction. */
  judge(a: Attempt, ctx: Context): Promise<Verdict>;
  /** The judge of pbotp attempts; its code (X25519, BLAKE2s) is loaded only for a pbotp call. */
  pbotp(): Promise<PbotpVerifier>;
  /**
   * The audit row of a call that ended without a judged attempt saying so
   * (timeout, hangup, error). One try, never a wait for a lock: a call that
   * failed on a busy database has waited its db_timeout already, and losing
   * this row is better than keeping the channel waiting again. Never throws.
   */
  recordEnding(user: string | null, ctx: Context, ending: Ending): Promise<void>;
  /**
   * Stores the new PIN of a user this call has just verified (a change_pin
   * profile), through the admin service with the call as actor (audit source
   * phone); false when the user is gone. Its code is loaded only then.
   */
  changePin(user: string, pin: string, ctx: Context): Promise<boolean>;
  /** Transactions run again after a conflict since opened (PostgreSQL; 0 on SQLite). */
  readonly retries: number;
  close(): Promise<void>;
}

/**
 * Opens what a call judges with, never sleeping the process on a lock (see
 * openAuthNonBlocking). `s` gives the site's rules; no call's profile changes them.
 */
export async function openCallAuth(s: Settings, opts: { now?: Clock; poolSize?: number } = {}): Promise<CallAuth> {
  const a = await openAuthNonBlocking(s, { ...opts, forCall: true });
  let pbotp: Promise<PbotpVerifier> | undefined;
  return {
    judge: (attempt, ctx) => a.verifier.judge(attempt, ctx),
    pbotp: () =>
      (pbotp ??= import('./pbotp-verifier.js').then(
        ({ PbotpVerifier }) =>
          new PbotpVerifier(a.store, a.key.idMask, { lockoutFailures: s.lockoutFailures, lockoutMinutes: s.lockoutMinutes }, a.now),
      )),
    async recordEnding(user, ctx, ending) {
      try {
        await a.store.exclusive((t) => recordAuditEntry(t, user, ctx, a.now(), ending), { wait: false });
      } catch {
        // The call's outcome matters more than its log line; a broken database was already reported.
      }
    },
    async changePin(user, pin, ctx) {
      const [{ UserAdmin }, { ACTOR_SOURCE }] = await Promise.all([import('./user-admin.js'), import('./admin-audit.js')]);
      return new UserAdmin(a, s).setPin(phoneActor(ACTOR_SOURCE.phone, ctx), user, pin);
    },
    get retries() {
      return a.store.retries;
    },
    close: () => a.store.close(),
  };
}

/** A call that changes its own user: named by its channel and caller ID, as its audit rows are. */
function phoneActor(source: ActorSource, ctx: Context): Actor {
  const where = [ctx.channel ? `channel ${ctx.channel}` : '', ctx.callerId ? `caller ID ${ctx.callerId}` : ''].filter(Boolean).join(', ');
  return { source, who: `the caller (${(where || 'a call').slice(0, 120)})` };
}
