// Web logins of any kind of principal (a user of the phone login today, the
// pbotp authority's approvers next): a random value in the browser's
// cookie, stored only as its hash in web_sessions (web-session.ts), so that
// every web server on the database knows the session and a copy of the
// database opens none. The rules, all here:
// - A login always makes a new session, and ends the one the browser
//   brought, if any: no value a browser held before it logged in is ever
//   a logged-in session (fixation).
// - A session ends idleSeconds after its last request, and lifetimeSeconds
//   after its login however busy it is; expires_at holds the earlier of the
//   two, moved on at every request.
// - At every request the kind's own check says whether the principal is
//   still the one that logged in (account-login.ts: the same PIN and secret,
//   enabled, not locked); a session that fails it is ended there and then.
// - Logging out ends the session; ending all of a principal's sessions is
//   the admin service's (session-ends.ts), inside the change that calls for it.
import type { Store } from '../store/store.js';
import type { StoreTx, WebSessionRow } from '../store/tables.js';
import type { Clock } from './clock.js';
import { newSessionValue, sessionHash } from './web-session.js';

export interface SessionPolicy {
  /** web_sessions.kind: one per kind of principal. */
  kind: string;
  idleSeconds: number;
  lifetimeSeconds: number;
}

/** A live session, as a request finds it. */
export interface LiveSession {
  hash: string;
  principal: string;
  createdAt: number;
  /** When it ends unless used again: the earlier of idle and lifetime. */
  expiresAt: number;
  /** When it ends however it is used. */
  endsAt: number;
  /** The kind's facts (JSON in the row). */
  data: Record<string, unknown>;
  /** A secret the session holds, sealed (a new phone's, while it is shown). */
  secretBox: Buffer | null;
}

/** Says inside the request's transaction whether the session's principal still is who logged in. */
export type StillValid = (t: StoreTx, row: WebSessionRow, data: Record<string, unknown>) => Promise<boolean>;

export class LoginSessions {
  constructor(
    private readonly auth: { store: Store; now: Clock },
    readonly policy: SessionPolicy,
  ) {}

  /**
   * Inside the login's transaction: a new session for `principal`, ending
   * `replacing` (the cookie the browser brought) and the sessions whose time
   * is up; `seal` makes a secret for it to hold, bound to its hash. Returns
   * the cookie's value, which is stored nowhere.
   */
  async start(
    t: StoreTx,
    principal: string,
    data: Record<string, unknown>,
    replacing: string | undefined,
    seal?: (hash: string) => Buffer,
  ): Promise<string> {
    const now = this.auth.now();
    const earlier = replacing === undefined ? undefined : sessionHash(replacing);
    if (earlier !== undefined) await t.webSessions.remove(earlier);
    await t.webSessions.removeExpired(now);
    const value = newSessionValue();
    const hash = sessionHash(value)!;
    await t.webSessions.add({
      id_hash: hash,
      kind: this.policy.kind,
      user_id: principal,
      invitation_id: null,
      secret_box: seal ? seal(hash) : null,
      data: JSON.stringify(data),
      created_at: now,
      seen_at: now,
      expires_at: this.expiry(now, now),
    });
    return value;
  }

  /**
   * The live session of the cookie's value, seen now (its idle time starts
   * again); null when there is none, it ran out, or `valid` refuses it (then
   * it is ended).
   */
  resume(cookie: string | undefined, valid: StillValid): Promise<LiveSession | null> {
    const hash = cookie === undefined ? undefined : sessionHash(cookie);
    if (hash === undefined) return Promise.resolve(null);
    return this.auth.store.exclusive(async (t) => {
      const now = this.auth.now();
      const row = await t.webSessions.get(hash);
      if (!row || row.kind !== this.policy.kind) return null;
      const data = parseData(row.data);
      if (row.expires_at <= now || !(await valid(t, row, data))) {
        await t.webSessions.remove(hash);
        return null;
      }
      const expiresAt = this.expiry(row.created_at, now);
      await t.webSessions.update(hash, { seen_at: now, expires_at: expiresAt, secret_box: row.secret_box, data: row.data });
      return this.live(hash, row, data, expiresAt);
    });
  }

  /** Inside a transaction: the session's facts and sealed secret replaced; false when it has ended. */
  async save(t: StoreTx, s: LiveSession, data: Record<string, unknown>, secretBox: Buffer | null): Promise<boolean> {
    const row = await this.liveRow(t, s);
    if (row === null) return false;
    return t.webSessions.update(s.hash, {
      seen_at: row.seen_at,
      expires_at: row.expires_at,
      secret_box: secretBox,
      data: JSON.stringify(data),
    });
  }

  /** Inside a transaction: whether the session is still live (not logged out, ended or run out). */
  async isLive(t: StoreTx, s: LiveSession): Promise<boolean> {
    return (await this.liveRow(t, s)) !== null;
  }

  private async liveRow(t: StoreTx, s: LiveSession): Promise<WebSessionRow | null> {
    const row = await t.webSessions.get(s.hash);
    return row && row.kind === this.policy.kind && row.user_id === s.principal && row.expires_at > this.auth.now() ? row : null;
  }

  /** Logging out: the session of the cookie's value ends (nothing when there is none). */
  async end(cookie: string | undefined): Promise<void> {
    const hash = cookie === undefined ? undefined : sessionHash(cookie);
    if (hash !== undefined) await this.auth.store.exclusive((t) => t.webSessions.remove(hash));
  }

  private expiry(createdAt: number, seenAt: number): number {
    return Math.min(seenAt + this.policy.idleSeconds, createdAt + this.policy.lifetimeSeconds);
  }

  private live(hash: string, row: WebSessionRow, data: Record<string, unknown>, expiresAt: number): LiveSession {
    return {
      hash,
      principal: row.user_id,
      createdAt: row.created_at,
      expiresAt,
      endsAt: row.created_at + this.policy.lifetimeSeconds,
      data,
      secretBox: row.secret_box,
    };
  }
}

function parseData(text: string | null): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text ?? '{}');
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
