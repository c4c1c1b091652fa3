// The audit log on PostgreSQL, whose column for the login is `login` (`user`
// is a reserved word there); rows read back name it `user`, as on SQLite.
import { clip, type AuditEntry, type AuditQuery, type AuditTable } from '../tables.js';
import type { Query } from './open-database.js';

export function postgresAudit(q: Query): AuditTable {
  return {
    add: async (e: AuditEntry) => {
      await q(
        'INSERT INTO audit (at, login, caller_id, channel, uniqueid, source, result, reason, detail, pbx) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [e.at, clip(e.user), clip(e.caller_id), clip(e.channel), clip(e.uniqueid), e.source, e.result, e.reason, e.detail, clip(e.pbx)],
      );
    },
    list: async (f: AuditQuery = {}) => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (f.users !== undefined) args.push(f.users), where.push(`login = ANY($${args.length})`);
      if (f.since !== undefined) args.push(f.since), where.push(`at >= $${args.length}`);
      if (f.pbx !== undefined) args.push(f.pbx), where.push(`pbx = $${args.length}`);
      if (f.sources !== undefined) args.push(f.sources), where.push(`source = ANY($${args.length})`);
      args.push(f.limit ?? 50);
      const r = await q<AuditEntry>(
        `SELECT at, login AS "user", caller_id, channel, uniqueid, source, result, reason, detail, pbx FROM audit
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`,
        args,
      );
      return r.rows.reverse();
    },
  };
}
