// A PBX of a site whose PBXs share one PostgreSQL database: its own Asterisk
// layout and astotp.conf, db = the server's URL, and a copy of the site's one
// key file. The password reaches astotp as libpq's conventions allow (here
// PGPASSWORD, or a passfile), never in the URL.
import { copyFileSync, existsSync } from 'node:fs';
import type { CallResult, RunCallOptions } from './asterisk-peer.js';
import pg from 'pg';
import type { PostgresServer } from './postgres.js';
import { Site } from './site.js';

export class PgSite extends Site {
  constructor(
    readonly server: PostgresServer,
    /** The database's URL; the server's own by default. */
    readonly url = server.url,
    readonly pbxName = 'pbx-a',
  ) {
    super();
    this.config({});
  }

  /** An admin shell on this PBX: no ASTOTP_DB, so astotp.conf decides. */
  override get env(): Record<string, string> {
    const { ASTOTP_DB: _db, ...env } = super.env;
    return { ...env, PGPASSWORD: this.server.password };
  }

  /** [general] always names the database, the key file and the PBX. */
  override config(general: Record<string, string | number>, profiles: Record<string, Record<string, string | number>> = {}): void {
    super.config({ db: this.url, key_file: this.keyFile, pbx_name: this.pbxName, ...general }, profiles);
  }

  /** Another PBX of the same site: the same database, a copy of this one's key file. */
  sibling(pbxName: string): PgSite {
    const other = new PgSite(this.server, this.url, pbxName);
    if (existsSync(this.keyFile)) copyFileSync(this.keyFile, other.keyFile);
    return other;
  }

  /** A call as Asterisk places it, whose environment also holds the password. */
  override call(opts: RunCallOptions = {}): Promise<CallResult> {
    return super.call({ ...opts, env: { PGPASSWORD: this.server.password, ...opts.env } });
  }
}

/** A fresh database on the server, owned by the test role; its URL. */
export async function freshDatabase(server: PostgresServer, name: string): Promise<string> {
  await server.query(`CREATE DATABASE ${name} OWNER ${server.role}`);
  return server.url.replace(/\/[^/]*$/, `/${name}`);
}

/** SQL as the superuser over the socket, in the database `url` names: for assertions. */
export async function queryDatabase<R extends pg.QueryResultRow>(
  server: PostgresServer,
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: 'postgres', database: new URL(url).pathname.slice(1) });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
