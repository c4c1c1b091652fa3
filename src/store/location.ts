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

/**
 * Where a PostgreSQL password goes, in the words of README ("The password"),
 * for every sentence that tells an admin. PGPASSWORD works, but Asterisk's
 * environment is every AGI script's and System() command's.
 */
export const WHERE_THE_PASSWORD_GOES =
  'a .pgpass line (host:port:database:user:password) in the file passfile= names in the URL, mode 0600, owned by the user Asterisk runs as (else $PGPASSFILE or ~/.pgpass); PGPASSWORD is read too, but only for tests: every program Asterisk starts would inherit it';

/** The one sentence for a URL refused by urlHasPassword, wherever it is noticed. */
export const PASSWORD_IN_URL = `the postgres:// URL holds a password (not repeated here); it never goes into the URL, astotp.conf or the command line. It goes in ${WHERE_THE_PASSWORD_GOES}`;
