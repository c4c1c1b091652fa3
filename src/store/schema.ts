// The schema as a list of migrations; PRAGMA user_version is the index of the
// last one applied. Append only: never edit a migration that has shipped.
export const MIGRATIONS: string[] = [
  `CREATE TABLE users (
     id            TEXT PRIMARY KEY,
     pin_hash      TEXT,
     secret_box    BLOB NOT NULL,
     algorithm     TEXT NOT NULL CHECK (algorithm IN ('SHA1','SHA256','SHA512')),
     digits        INTEGER NOT NULL CHECK (digits IN (6,8)),
     period        INTEGER NOT NULL CHECK (period BETWEEN 15 AND 300),
     enabled       INTEGER NOT NULL DEFAULT 1,
     failures      INTEGER NOT NULL DEFAULT 0,
     locked_until  INTEGER,
     last_step     INTEGER,
     last_success  INTEGER,
     created_at    INTEGER NOT NULL,
     updated_at    INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE audit (
     id        INTEGER PRIMARY KEY,
     at        INTEGER NOT NULL,
     user      TEXT,
     caller_id TEXT,
     channel   TEXT,
     uniqueid  TEXT,
     source    TEXT NOT NULL,
     result    TEXT NOT NULL,
     reason    TEXT NOT NULL,
     detail    TEXT
   ) STRICT;
   CREATE INDEX audit_at ON audit(at);
   CREATE INDEX audit_user ON audit(user, at);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`,
  // Failure counts and lockouts of logins that have no users row, e.g. pbotp
  // (the PBX holds no per-user secret there); id is namespaced: 'pbotp:1001'.
  `CREATE TABLE throttle (
     id            TEXT PRIMARY KEY,
     failures      INTEGER NOT NULL DEFAULT 0,
     locked_until  INTEGER,
     updated_at    INTEGER NOT NULL
   ) STRICT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The oldest schema version whose astotp may still use a database of this
 * schema, written to meta when a database is migrated. PBXs sharing one
 * database are upgraded one at a time: a migration that only adds (a column
 * or table older code never reads) leaves this where it was, so a PBX not
 * yet upgraded keeps working; one that changes what older code relies on
 * raises it, and older astotp then refuses the file with a clear sentence.
 */
export const OLDEST_COMPATIBLE_SCHEMA = 2;

/** The meta key that holds OLDEST_COMPATIBLE_SCHEMA of the newest astotp that migrated the file. */
export const COMPATIBLE_META_KEY = 'oldest_compatible_schema';
