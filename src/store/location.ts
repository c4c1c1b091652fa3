// Which kind of database a `db` value names: a PostgreSQL URL, else the path
// of a SQLite file. Settings ask too: a URL has no directory to keep the key
// file in, so it needs key_file.

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * postgres://USER:PASSWORD@...: refused wherever it is written, and never
 * repeated in a message. Judged loosely on purpose: a password may hold /, ?,
 * # or @, so anything with a ':' before the last '@' counts as one.
 */
export function urlHasPassword(db: string): boolean {
  const rest = db.replace(/^postgres(ql)?:\/\//i, '');
  const at = rest.lastIndexOf('@');
  return at >= 0 && rest.slice(0, at).includes(':');
}

/** The one sentence for a URL refused by urlHasPassword, wherever it is noticed. */
export const PASSWORD_IN_URL =
  'the postgres:// URL holds a password (not repeated here); passwords never go into the config file, the environment or on the command line: put it in ~/.pgpass or the file passfile= names (mode 0600), or PGPASSWORD';
