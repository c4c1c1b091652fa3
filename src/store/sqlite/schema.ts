// SQLite's schema as a list of migrations; PRAGMA user_version is the index
// of the last one applied. Append only: never edit a migration that has
// shipped. postgres/schema.ts holds the same versions in PostgreSQL's terms.
export const SQLITE_MIGRATIONS: string[] = [
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
  // The audit column `user` is a reserved word in PostgreSQL, whose schema
  // calls it login; here login is added beside it (older astotp still writes
  // and reads user: both are written until no such astotp may use the file),
  // and every row says which PBX wrote it.
  `ALTER TABLE audit ADD COLUMN login TEXT;
   ALTER TABLE audit ADD COLUMN pbx TEXT;
   UPDATE audit SET login = user;
   CREATE INDEX audit_login ON audit(login, at);
   CREATE INDEX audit_pbx ON audit(pbx, at);`,
  // Single-use recovery codes, as HMACs keyed by the key file. Removing a
  // user removes its codes, also when an older astotp removes it (every
  // astotp connection enables foreign keys): a user enrolled again under the
  // same ID must never inherit the old codes.
  `CREATE TABLE recovery_codes (
     user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     hash        TEXT NOT NULL,
     used_at     INTEGER,
     created_at  INTEGER NOT NULL,
     PRIMARY KEY (user_id, hash)
   ) STRICT;`,
  // Schema 5: users' names, mail addresses and languages, and self-enrolment:
  // invitations (a pending one is no user, so no astotp, older ones
  // included, ever sees a half-made user) and the web server's sessions,
  // stored by the hash of the cookie so that web servers sharing one
  // database share them. Only adds: schema 2 astotp keeps working.
  `ALTER TABLE users ADD COLUMN display_name TEXT;
   ALTER TABLE users ADD COLUMN email TEXT;
   ALTER TABLE users ADD COLUMN language TEXT;
   CREATE TABLE invitations (
     id               INTEGER PRIMARY KEY,
     user_id          TEXT NOT NULL,
     token_hash       TEXT NOT NULL UNIQUE,
     display_name     TEXT,
     email            TEXT,
     language         TEXT,
     activation_hash  TEXT,
     wrong_codes      INTEGER NOT NULL DEFAULT 0,
     state            TEXT NOT NULL,
     created_at       INTEGER NOT NULL,
     expires_at       INTEGER NOT NULL,
     ended_at         INTEGER,
     created_by       TEXT
   ) STRICT;
   CREATE UNIQUE INDEX invitations_pending ON invitations(user_id) WHERE state = 'pending';
   CREATE INDEX invitations_user ON invitations(user_id, created_at);
   CREATE TABLE web_sessions (
     id_hash        TEXT PRIMARY KEY,
     kind           TEXT NOT NULL,
     user_id        TEXT NOT NULL,
     invitation_id  INTEGER,
     secret_box     BLOB,
     data           TEXT,
     created_at     INTEGER NOT NULL,
     seen_at        INTEGER NOT NULL,
     expires_at     INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX web_sessions_user ON web_sessions(user_id);
   CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);`,
  // Tokens: a user's authenticator app (serial app:USER) and key fobs (TOTP,
  // HOTP), each with its own replay mark; a fob may belong to nobody yet.
  // Every user's app secret becomes its first token, secret box and replay
  // mark as they are (a box sealed for user U opens as token app:U's). From
  // here on the second factor is the tokens', so older astotp, which reads
  // the users' columns, must not use the file: schema.ts raises the mark.
  // A user's tokens go with the user (the admin service first makes its
  // fobs nobody's, sealed for no user).
  `CREATE TABLE tokens (
     serial      TEXT PRIMARY KEY,
     kind        TEXT NOT NULL CHECK (kind IN ('app','totp','hotp')),
     user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
     secret_box  BLOB NOT NULL,
     algorithm   TEXT NOT NULL CHECK (algorithm IN ('SHA1','SHA256','SHA512')),
     digits      INTEGER NOT NULL CHECK (digits IN (6,8)),
     period      INTEGER CHECK (period BETWEEN 15 AND 300),
     counter     INTEGER CHECK (counter >= 0),
     last_step   INTEGER,
     drift       INTEGER NOT NULL DEFAULT 0,
     enabled     INTEGER NOT NULL DEFAULT 1,
     last_used   INTEGER,
     created_at  INTEGER NOT NULL,
     updated_at  INTEGER NOT NULL,
     CHECK ((kind = 'hotp') = (counter IS NOT NULL)),
     CHECK ((kind = 'hotp') = (period IS NULL))
   ) STRICT;
   CREATE INDEX tokens_user ON tokens(user_id);
   INSERT INTO tokens (serial, kind, user_id, secret_box, algorithm, digits, period, last_step, last_used, created_at, updated_at)
     SELECT 'app:' || id, 'app', id, secret_box, algorithm, digits, period, last_step, last_success, created_at, updated_at FROM users;`,
  // 7: guessing bounded for good (auth/lockout.ts): right-PIN failures in a
  // row and the locks they escalated; the last notice per user and kind.
  `ALTER TABLE users ADD COLUMN pin_streak INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE users ADD COLUMN lock_level INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE notices (
     user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     kind     TEXT NOT NULL,
     sent_at  INTEGER NOT NULL,
     PRIMARY KEY (user_id, kind)
   ) STRICT;`,
  // 8: the pbotp authority (auth/authority-admin.ts): approvers' rights per
  // device group and host, and their API tokens (hashes only). Only adds:
  // an older astotp never reads them, and its remove takes them along.
  `CREATE TABLE roles (
     user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
     role           TEXT NOT NULL CHECK (role IN ('approver')),
     group_names    TEXT NOT NULL,
     host_patterns  TEXT,
     created_at     INTEGER NOT NULL,
     updated_at     INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE api_tokens (
     id          INTEGER PRIMARY KEY,
     user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     token_hash  TEXT NOT NULL UNIQUE,
     label       TEXT,
     created_at  INTEGER NOT NULL,
     created_by  TEXT,
     last_used   INTEGER,
     revoked_at  INTEGER
   ) STRICT;
   CREATE INDEX api_tokens_user ON api_tokens(user_id);`,
];
