// Invitations and web sessions on SQLite. A write transaction locks the whole
// database, so the conditional UPDATE in end() is all it takes for one
// invitation to make one user.
import type { InvitationRow, InvitationsTable, InvitationState, NewInvitation, WebSessionRow, WebSessionsTable } from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteInvitations implements InvitationsTable {
  constructor(private readonly db: Db) {}

  async add(i: NewInvitation): Promise<number> {
    const r = this.db
      .prepare(
        `INSERT INTO invitations (user_id, token_hash, display_name, email, language, activation_hash, state, created_at, expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      )
      .run(i.user_id, i.token_hash, i.display_name, i.email, i.language, i.activation_hash, i.created_at, i.expires_at, i.created_by);
    return Number(r.lastInsertRowid);
  }

  async byTokenHash(hash: string): Promise<InvitationRow | undefined> {
    return this.db.prepare('SELECT * FROM invitations WHERE token_hash = ?').get(hash) as InvitationRow | undefined;
  }

  async get(id: number): Promise<InvitationRow | undefined> {
    return this.db.prepare('SELECT * FROM invitations WHERE id = ?').get(id) as InvitationRow | undefined;
  }

  async pendingFor(user: string): Promise<InvitationRow | undefined> {
    return this.db.prepare("SELECT * FROM invitations WHERE user_id = ? AND state = 'pending'").get(user) as InvitationRow | undefined;
  }

  async list(): Promise<InvitationRow[]> {
    return this.db.prepare('SELECT * FROM invitations ORDER BY created_at DESC, id DESC').all() as InvitationRow[];
  }

  async end(id: number, state: Exclude<InvitationState, 'pending'>, at: number): Promise<boolean> {
    return (
      this.db.prepare("UPDATE invitations SET state = ?, ended_at = ? WHERE id = ? AND state = 'pending'").run(state, at, id).changes === 1
    );
  }

  async setWrongCodes(id: number, n: number): Promise<void> {
    this.db.prepare('UPDATE invitations SET wrong_codes = ? WHERE id = ?').run(n, id);
  }
}

export class SqliteWebSessions implements WebSessionsTable {
  constructor(private readonly db: Db) {}

  async add(s: WebSessionRow): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO web_sessions (id_hash, kind, user_id, invitation_id, secret_box, data, created_at, seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.id_hash, s.kind, s.user_id, s.invitation_id, s.secret_box, s.data, s.created_at, s.seen_at, s.expires_at);
  }

  async get(idHash: string): Promise<WebSessionRow | undefined> {
    return this.db.prepare('SELECT * FROM web_sessions WHERE id_hash = ?').get(idHash) as WebSessionRow | undefined;
  }

  async remove(idHash: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM web_sessions WHERE id_hash = ?').run(idHash).changes === 1;
  }

  async update(idHash: string, s: Pick<WebSessionRow, 'seen_at' | 'expires_at' | 'secret_box' | 'data'>): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE web_sessions SET seen_at = ?, expires_at = ?, secret_box = ?, data = ? WHERE id_hash = ?')
        .run(s.seen_at, s.expires_at, s.secret_box, s.data, idHash).changes === 1
    );
  }

  async removeForUser(user: string): Promise<number> {
    return this.db.prepare('DELETE FROM web_sessions WHERE user_id = ?').run(user).changes;
  }

  async removeForInvitation(invitationId: number): Promise<number> {
    return this.db.prepare('DELETE FROM web_sessions WHERE invitation_id = ?').run(invitationId).changes;
  }

  async removeExpired(now: number): Promise<number> {
    return this.db.prepare('DELETE FROM web_sessions WHERE expires_at <= ?').run(now).changes;
  }
}
