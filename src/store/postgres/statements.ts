// The statements of one transaction on its pooled connection. They go out
// one at a time: statements fn issues at once (Promise.all) would otherwise
// queue inside node-postgres, which deprecates that (gone in pg 9). Each must
// be answered within its bound (timeouts.ts); one that is not, or that fails
// otherwise, fails the transaction, and no statement is sent after it: the
// transaction is lost, and the connection may be too (pg-store.ts discards it).
import type pg from 'pg';
import type { StoreError } from '../errors.js';
import type { Query } from './open-database.js';
import { settleWithin } from './timeouts.js';

export interface StatementRules {
  /** How long one statement may go unanswered (answerMs). */
  answerMs: number;
  /** A one-try transaction's end, which no statement outlasts. */
  deadline?: number;
  /** The failure of a statement left unanswered for answerMs. */
  unanswered: () => StoreError;
  /** The failure of one still unanswered at the deadline. */
  late: () => StoreError;
  explain: (err: unknown) => StoreError;
}

export interface Statements {
  q: Query;
  /** The first statement's failure, if one failed. */
  failure(): StoreError | null;
}

export function statementsOn(client: pg.PoolClient, rules: StatementRules): Statements {
  let failed: StoreError | null = null;
  const send = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
    if (failed) throw failed;
    const cut = rules.deadline !== undefined && rules.deadline - Date.now() < rules.answerMs;
    const ms = cut ? (rules.deadline as number) - Date.now() : rules.answerMs;
    try {
      return await settleWithin(client.query<R>(sql, params), ms, cut ? rules.late : rules.unanswered);
    } catch (err) {
      throw (failed = rules.explain(err));
    }
  };
  let last: Promise<unknown> = Promise.resolve();
  const q: Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
    const next = last.then(() => send<R>(sql, params));
    last = next.catch(() => undefined);
    return next;
  };
  return { q, failure: () => failed };
}
