// Invitations as the admin makes and ends them (astotp invite, invites
// --revoke): each one transaction with its audit row, as every change to
// users is (user-admin.ts). An invitation is no user: its own table, so no
// astotp, older ones included, sees a user before one enrolled.
import type { Settings } from '../config/settings.js';
import type { Store } from '../store/store.js';
import type { InvitationRow, StoreTx, UserProfile } from '../store/tables.js';
import { type Actor, type AuditPlace, recordAdminAction } from './admin-audit.js';
import type { Clock } from './clock.js';
import { activationHash, invitationStatus, newActivationCode, newInvitationToken, tokenHash } from './invitations.js';
import type { MasterKey } from './master-key.js';
import { shownTime } from './clock.js';
import { UserAdminError } from './user-admin.js';

/** One user to invite, checked by the entry point. */
export interface InvitationSpec {
  id: string;
  profile: UserProfile;
  /** Where it came from, for a message: "users.csv line 3". */
  where?: string;
}

/** What the admin hands on: the link's token and the activation code, shown once and stored only as hashes. */
export interface IssuedInvitation {
  id: string;
  profile: UserProfile;
  token: string;
  activationCode: string | null;
  expiresAt: number;
  /** An earlier invitation of the user that this one replaced. */
  replaced: boolean;
}

export class InvitationAdmin {
  private readonly place: AuditPlace;

  constructor(
    private readonly auth: { store: Store; key: MasterKey; now: Clock },
    rules: Pick<Settings, 'pbxName'>,
  ) {
    this.place = { pbx: rules.pbxName, now: auth.now };
  }

  /**
   * Invitations for users not yet enrolled, all in one transaction: all or
   * none. An enrolled ID is an error ('exists'); so is a pending invitation
   * unless `replace` (an expired one is replaced in any case).
   */
  invite(
    actor: Actor,
    specs: readonly InvitationSpec[],
    opts: { expiresAt: number; activationCode: boolean; replace: boolean },
  ): Promise<IssuedInvitation[]> {
    const { store, key } = this.auth;
    return store.exclusive(async (t) => {
      const now = this.auth.now();
      const issued: IssuedInvitation[] = [];
      for (const spec of specs) {
        const where = spec.where ? ` (${spec.where})` : '';
        if (await t.users.get(spec.id))
          throw new UserAdminError(`user ${spec.id}${where} is enrolled already; nothing was saved`, 'exists');
        const earlier = await t.invitations.pendingFor(spec.id);
        if (earlier && invitationStatus(earlier, now) === 'pending' && !opts.replace)
          throw new UserAdminError(
            `user ${spec.id}${where} has an invitation until ${shownTime(earlier.expires_at)}; nothing was saved (--force replaces it)`,
            'exists',
          );
        if (earlier) await this.end(t, earlier, 'replaced', now);
        const token = newInvitationToken();
        const hash = tokenHash(token);
        const code = opts.activationCode ? newActivationCode() : null;
        await t.invitations.add({
          user_id: spec.id,
          token_hash: hash,
          ...spec.profile,
          activation_hash: code === null ? null : activationHash(key.recoveryPepper, hash, code),
          created_at: now,
          expires_at: opts.expiresAt,
          created_by: actor.who,
        });
        const note = [`until ${shownTime(opts.expiresAt)}`, code === null ? '' : 'activation code', earlier ? 'replaced one' : '']
          .filter(Boolean)
          .join(', ');
        await recordAdminAction(t, actor, this.place, 'invite', spec.id, note);
        issued.push({ id: spec.id, profile: spec.profile, token, activationCode: code, expiresAt: opts.expiresAt, replaced: !!earlier });
      }
      return issued;
    });
  }

  /** Ends the user's pending invitation (expired or not) and its sessions; false when there is none. */
  revoke(actor: Actor, id: string): Promise<boolean> {
    return this.auth.store.exclusive(async (t) => {
      const inv = await t.invitations.pendingFor(id);
      if (!inv) return false;
      await this.end(t, inv, 'revoked', this.auth.now());
      await recordAdminAction(t, actor, this.place, 'revoke-invite', id);
      return true;
    });
  }

  private async end(t: StoreTx, inv: InvitationRow, state: 'revoked' | 'replaced', now: number): Promise<void> {
    await t.invitations.end(inv.id, state, now);
    await t.webSessions.removeForInvitation(inv.id);
  }
}
