// The few facts kept beside the tables on SQLite (the key check, schema compatibility).
import type { MetaTable } from '../tables.js';
import type { Db } from './open-database.js';

export class SqliteMeta implements MetaTable {
  constructor(private readonly db: Db) {}

  async get(key: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  async set(key: string, value: string): Promise<void> {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async remove(key: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM meta WHERE key = ?').run(key).changes > 0;
  }
}
