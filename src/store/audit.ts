// The audit log: one row per judged attempt and per call that ended without
// one (timeout, hangup, error). Never holds a PIN, code or secret.
import type { Db } from './open-database.js';

export interface AuditEntry {
  at: number;
  user: string | null;
  caller_id: string | null;
  channel: string | null;
  uniqueid: string | null;
  /** agi, cli, simulate, fastagi */
  source: string;
  result: 'SUCCESS' | 'FAILURE';
  /** The reason the dialplan saw. */
  reason: string;
  /** What only the admin should know, e.g. which factor was wrong. */
  detail: string | null;
}

export interface AuditQuery {
  /** Rows for any of these user names. */
  users?: string[];
  since?: number;
  limit?: number;
}

export class Audit {
  constructor(private readonly db: Db) {}

  add(e: AuditEntry): void {
    this.db
      .prepare('INSERT INTO audit (at, user, caller_id, channel, uniqueid, source, result, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.at, clip(e.user), clip(e.caller_id), clip(e.channel), clip(e.uniqueid), e.source, e.result, e.reason, e.detail);
  }

  /** Newest last, like a log file. */
  list(q: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.users !== undefined) (where.push(`user IN (${q.users.map(() => '?').join(', ')})`), args.push(...q.users));
    if (q.since !== undefined) (where.push('at >= ?'), args.push(q.since));
    const sql = `SELECT at, user, caller_id, channel, uniqueid, source, result, reason, detail FROM audit
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 50) as AuditEntry[]).reverse();
  }
}

/** Typed input and channel names are untrusted: keep rows bounded. */
function clip(v: string | null): string | null {
  return v === null ? null : v.slice(0, 80);
}
