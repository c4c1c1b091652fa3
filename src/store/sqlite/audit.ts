// The audit log on SQLite. Rows carry the login twice, as login and as the
// older column user, which astotp of schema 2 still writes and reads.
import { clip, type AuditEntry, type AuditQuery, type AuditTable } from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteAudit implements AuditTable {
  constructor(private readonly db: Db) {}

  async add(e: AuditEntry): Promise<void> {
    const login = clip(e.user);
    this.db
      .prepare(
        'INSERT INTO audit (at, user, login, caller_id, channel, uniqueid, source, result, reason, detail, pbx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(e.at, login, login, clip(e.caller_id), clip(e.channel), clip(e.uniqueid), e.source, e.result, e.reason, e.detail, clip(e.pbx));
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.users !== undefined) {
      const marks = q.users.map(() => '?').join(', ');
      // Rows an older astotp wrote after the upgrade have no login.
      where.push(`(login IN (${marks}) OR (login IS NULL AND user IN (${marks})))`);
      args.push(...q.users, ...q.users);
    }
    if (q.since !== undefined) where.push('at >= ?'), args.push(q.since);
    if (q.pbx !== undefined) where.push('pbx = ?'), args.push(q.pbx);
    if (q.sources !== undefined) where.push(`source IN (${q.sources.map(() => '?').join(', ')})`), args.push(...q.sources);
    const sql = `SELECT at, coalesce(login, user) AS user, caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 50) as AuditEntry[]).reverse();
  }
}
