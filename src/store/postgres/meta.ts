// The few facts kept beside the tables on PostgreSQL (the key check, schema compatibility).
import type { MetaTable } from '../tables.js';
import type { Query } from './open-database.js';

export function postgresMeta(q: Query): MetaTable {
  return {
    get: async (key) => (await q<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value,
    set: async (key, value) => {
      await q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
    remove: async (key) => (await q('DELETE FROM meta WHERE key = $1', [key])).rowCount === 1,
  };
}
