// The pbotp authority's own changes, made like every admin change: one
// transaction with its audit row naming the actor. A database becomes an
// authority's once, when it is new (init --authority): a PBX's database,
// which has users, calls and counts already, can never be made one, so no
// user a PBX's admin enrolled can ever be an approver. Roles and API tokens
// are refused on any other database, and the console opens none but one.
import { createHash, randomBytes } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import type { ApiTokenRow, RoleRow } from '../store/tables.js';
import { type Actor, type AuditPlace, recordAdminAction } from './admin-audit.js';
import { type ApproverRights, describeRights, rightsOf } from './approver-rights.js';
import type { Clock } from './clock.js';
import { AUTHORITY_MARK, AUTHORITY_VALUE, isAuthority } from './authority-mark.js';
import { AuthError } from './errors.js';

export { AUTHORITY_MARK, isAuthority };

/** The prefix of every API token, so that one pasted where it does not belong can be recognised. */
const API_TOKEN_PREFIX = 'pbotp_';
const API_TOKEN_SHAPE = /^pbotp_[A-Za-z0-9_-]{43}$/;

/** The stored key of an API token's value; undefined for a value no authority made. */
export function apiTokenHash(value: string): string | undefined {
  if (!API_TOKEN_SHAPE.test(value)) return undefined;
  return createHash('sha256').update(`astotp-api-token-v1\0${value}`, 'utf8').digest('hex');
}

interface ApproverRole {
  user: string;
  rights: ApproverRights;
  createdAt: number;
  updatedAt: number;
}

function notAuthority(name: string): AuthError {
  return new AuthError(
    `${name} is not a pbotp authority's database (astotp init --authority makes a new one): approvers exist only there`,
    'not-authority',
  );
}

export class AuthorityAdmin {
  private readonly place: AuditPlace;

  constructor(
    private readonly auth: { store: Store; now: Clock },
    rules: Pick<Settings, 'pbxName'>,
  ) {
    this.place = { pbx: rules.pbxName, now: auth.now };
  }

  /**
   * Marks the database as the authority's: only while it holds nothing
   * (no user, token, count or audit row); again on one marked already does nothing.
   * Returns whether it was marked now.
   */
  markAuthority(actor: Actor): Promise<boolean> {
    return this.auth.store.exclusive(async (t) => {
      if (await isAuthority(t)) return false;
      if (!(await t.transfer.isEmpty()))
        throw new AuthError(
          `${this.auth.store.name} holds users, counts or audit rows already: an authority's database must be a new one, never a PBX's (give --db a new file or database)`,
          'not-empty',
        );
      await t.meta.set(AUTHORITY_MARK, AUTHORITY_VALUE);
      await recordAdminAction(t, actor, this.place, 'authority-init', null);
      return true;
    });
  }

  isAuthority(): Promise<boolean> {
    return this.auth.store.read(isAuthority);
  }

  /** Makes `user` an approver with `rights`, or (null) takes the role away; false when there was none to take. */
  setRole(actor: Actor, user: string, rights: ApproverRights | null): Promise<boolean> {
    return this.auth.store.exclusive(async (t) => {
      if (!(await isAuthority(t))) throw notAuthority(this.auth.store.name);
      if (!(await t.users.get(user))) throw new AuthError(`no user ${user}`, 'no-such-user');
      const now = this.auth.now();
      if (rights === null) {
        if (!(await t.roles.remove(user))) return false;
        // A token of someone who approves nothing is no use to anyone.
        for (const token of await t.apiTokens.list())
          if (token.user_id === user && token.revoked_at === null) await t.apiTokens.revoke(token.id, now);
        await recordAdminAction(t, actor, this.place, 'role', user, 'none; API tokens revoked');
        return true;
      }
      const row: RoleRow = {
        user_id: user,
        role: 'approver',
        group_names: rights.groups.join(','),
        host_patterns: rights.hosts === null ? null : rights.hosts.join(','),
        created_at: now,
        updated_at: now,
      };
      await t.roles.put(row);
      await recordAdminAction(t, actor, this.place, 'role', user, `approver: ${describeRights(rights)}`);
      return true;
    });
  }

  async roles(): Promise<ApproverRole[]> {
    const rows = await this.auth.store.read((t) => t.roles.list());
    return rows.map((r) => ({
      user: r.user_id,
      rights: rightsOf(r),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** A new API token of the approver `user`: its value, to be shown once (only its hash is kept), and its id. */
  createApiToken(actor: Actor, user: string, label: string | null): Promise<{ id: number; value: string }> {
    if (label !== null && !/^[\x20-\x7e]{1,80}$/.test(label))
      throw new AuthError('a label is 1 to 80 printable ASCII characters', 'bad-label');
    return this.auth.store.exclusive(async (t) => {
      if (!(await isAuthority(t))) throw notAuthority(this.auth.store.name);
      if (!(await t.roles.get(user))) throw new AuthError(`${user} is no approver (astotp role ${user} approver --groups ...)`, 'no-role');
      const value = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const id = await t.apiTokens.add({
        user_id: user,
        token_hash: apiTokenHash(value)!,
        label,
        created_at: this.auth.now(),
        created_by: actor.who,
      });
      await recordAdminAction(t, actor, this.place, 'api-token-create', user, `API token ${id}`);
      return { id, value };
    });
  }

  listApiTokens(): Promise<ApiTokenRow[]> {
    return this.auth.store.read((t) => t.apiTokens.list());
  }

  /** Revokes the token; returns its approver. */
  revokeApiToken(actor: Actor, id: number): Promise<string> {
    return this.auth.store.exclusive(async (t) => {
      const token = await t.apiTokens.get(id);
      if (!token) throw new AuthError(`no API token ${id}`, 'no-token');
      if (!(await t.apiTokens.revoke(id, this.auth.now()))) throw new AuthError(`API token ${id} is revoked already`, 'revoked');
      await recordAdminAction(t, actor, this.place, 'api-token-revoke', token.user_id, `API token ${id}`);
      return token.user_id;
    });
  }
}
