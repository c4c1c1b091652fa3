// Invitations and web sessions on PostgreSQL. The enrolment that uses an
// invitation reads it FOR UPDATE, so two browsers trading one link take
// turns, and end() is conditional besides: one invitation makes one user.
import type { InvitationRow, InvitationsTable, WebSessionRow, WebSessionsTable } from '../tables.js';
import type { Query } from './open-database.js';

export function postgresInvitations(q: Query, write: boolean): InvitationsTable {
  const forUpdate = write ? ' FOR UPDATE' : '';
  return {
    add: async (i) => {
      const r = await q<{ id: number }>(
        `INSERT INTO invitations (user_id, token_hash, display_name, email, language, activation_hash, state, created_at, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id`,
        [i.user_id, i.token_hash, i.display_name, i.email, i.language, i.activation_hash, i.created_at, i.expires_at, i.created_by],
      );
      return r.rows[0]!.id;
    },
    byTokenHash: async (hash) => (await q<InvitationRow>(`SELECT * FROM invitations WHERE token_hash = $1${forUpdate}`, [hash])).rows[0],
    get: async (id) => (await q<InvitationRow>(`SELECT * FROM invitations WHERE id = $1${forUpdate}`, [id])).rows[0],
    pendingFor: async (user) =>
      (await q<InvitationRow>(`SELECT * FROM invitations WHERE user_id = $1 AND state = 'pending'${forUpdate}`, [user])).rows[0],
    list: async () => (await q<InvitationRow>('SELECT * FROM invitations ORDER BY created_at DESC, id DESC')).rows,
    end: async (id, state, at) =>
      (await q("UPDATE invitations SET state = $1, ended_at = $2 WHERE id = $3 AND state = 'pending'", [state, at, id])).rowCount === 1,
    setWrongCodes: async (id, n) => {
      await q('UPDATE invitations SET wrong_codes = $1 WHERE id = $2', [n, id]);
    },
  };
}

export function postgresWebSessions(q: Query): WebSessionsTable {
  return {
    add: async (s) => {
      await q(
        `INSERT INTO web_sessions (id_hash, kind, user_id, invitation_id, secret_box, data, created_at, seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [s.id_hash, s.kind, s.user_id, s.invitation_id, s.secret_box, s.data, s.created_at, s.seen_at, s.expires_at],
      );
    },
    get: async (idHash) => (await q<WebSessionRow>('SELECT * FROM web_sessions WHERE id_hash = $1', [idHash])).rows[0],
    remove: async (idHash) => (await q('DELETE FROM web_sessions WHERE id_hash = $1', [idHash])).rowCount === 1,
    update: async (idHash, s) =>
      (
        await q('UPDATE web_sessions SET seen_at = $1, expires_at = $2, secret_box = $3, data = $4 WHERE id_hash = $5', [
          s.seen_at,
          s.expires_at,
          s.secret_box,
          s.data,
          idHash,
        ])
      ).rowCount === 1,
    removeForUser: async (user) => (await q('DELETE FROM web_sessions WHERE user_id = $1', [user])).rowCount ?? 0,
    removeForInvitation: async (id) => (await q('DELETE FROM web_sessions WHERE invitation_id = $1', [id])).rowCount ?? 0,
    removeExpired: async (now) => (await q('DELETE FROM web_sessions WHERE expires_at <= $1', [now])).rowCount ?? 0,
  };
}
