// Which kind of database a `db` value names: a PostgreSQL URL, else the path
// of a SQLite file. Settings ask too: a URL has no directory to keep the key
// file in, so it needs key_file.

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** postgres://USER:PASSWORD@...: refused wherever it is written, and never repeated in a message. */
export function urlHasPassword(db: string): boolean {
  return /^postgres(ql)?:\/\/[^/@?#]*:[^/@?#]*@/i.test(db);
}
