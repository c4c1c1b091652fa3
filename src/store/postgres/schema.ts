// PostgreSQL's schema, version for version the same as sqlite/schema.ts;
// schema_migrations (made by migrate.ts, not here) records what is applied.
// Append only: never edit a migration that has shipped. Keys compare
// byte-wise (COLLATE "C") so a prefix is a range of the primary key, as in
// SQLite; times are Unix seconds in BIGINT, read back as numbers.
export const POSTGRES_MIGRATIONS: string[] = [
  `CREATE TABLE users (
     id            TEXT COLLATE "C" PRIMARY KEY,
     pin_hash      TEXT,
     secret_box    BYTEA NOT NULL,
     algorithm     TEXT NOT NULL CHECK (algorithm IN ('SHA1','SHA256','SHA512')),
     digits        INTEGER NOT NULL CHECK (digits IN (6,8)),
     period        INTEGER NOT NULL CHECK (period BETWEEN 15 AND 300),
     enabled       INTEGER NOT NULL DEFAULT 1,
     failures      INTEGER NOT NULL DEFAULT 0,
     locked_until  BIGINT,
     last_step     BIGINT,
     last_success  BIGINT,
     created_at    BIGINT NOT NULL,
     updated_at    BIGINT NOT NULL
   );
   CREATE TABLE audit (
     id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at        BIGINT NOT NULL,
     login     TEXT,
     caller_id TEXT,
     channel   TEXT,
     uniqueid  TEXT,
     source    TEXT NOT NULL,
     result    TEXT NOT NULL,
     reason    TEXT NOT NULL,
     detail    TEXT
   );
   CREATE INDEX audit_at ON audit(at);
   CREATE INDEX audit_login ON audit(login, at);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE throttle (
     id            TEXT COLLATE "C" PRIMARY KEY,
     failures      INTEGER NOT NULL DEFAULT 0,
     locked_until  BIGINT,
     updated_at    BIGINT NOT NULL
   );`,
  `ALTER TABLE audit ADD COLUMN pbx TEXT;
   CREATE INDEX audit_pbx ON audit(pbx, at);`,
  `CREATE TABLE recovery_codes (
     user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     hash        TEXT NOT NULL,
     used_at     BIGINT,
     created_at  BIGINT NOT NULL,
     PRIMARY KEY (user_id, hash)
   );`,
  `ALTER TABLE users ADD COLUMN display_name TEXT;
   ALTER TABLE users ADD COLUMN email TEXT;
   ALTER TABLE users ADD COLUMN language TEXT;
   CREATE TABLE invitations (
     id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     user_id          TEXT COLLATE "C" NOT NULL,
     token_hash       TEXT NOT NULL UNIQUE,
     display_name     TEXT,
     email            TEXT,
     language         TEXT,
     activation_hash  TEXT,
     wrong_codes      INTEGER NOT NULL DEFAULT 0,
     state            TEXT NOT NULL,
     created_at       BIGINT NOT NULL,
     expires_at       BIGINT NOT NULL,
     ended_at         BIGINT,
     created_by       TEXT
   );
   CREATE UNIQUE INDEX invitations_pending ON invitations(user_id) WHERE state = 'pending';
   CREATE INDEX invitations_user ON invitations(user_id, created_at);
   CREATE TABLE web_sessions (
     id_hash        TEXT PRIMARY KEY,
     kind           TEXT NOT NULL,
     user_id        TEXT COLLATE "C" NOT NULL,
     invitation_id  BIGINT,
     secret_box     BYTEA,
     data           TEXT,
     created_at     BIGINT NOT NULL,
     seen_at        BIGINT NOT NULL,
     expires_at     BIGINT NOT NULL
   );
   CREATE INDEX web_sessions_user ON web_sessions(user_id);
   CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);`,
  `CREATE TABLE tokens (
     serial      TEXT COLLATE "C" PRIMARY KEY,
     kind        TEXT NOT NULL CHECK (kind IN ('app','totp','hotp')),
     user_id     TEXT COLLATE "C" REFERENCES users(id) ON DELETE CASCADE,
     secret_box  BYTEA NOT NULL,
     algorithm   TEXT NOT NULL CHECK (algorithm IN ('SHA1','SHA256','SHA512')),
     digits      INTEGER NOT NULL CHECK (digits IN (6,8)),
     period      INTEGER CHECK (period BETWEEN 15 AND 300),
     counter     BIGINT CHECK (counter >= 0),
     last_step   BIGINT,
     drift       INTEGER NOT NULL DEFAULT 0,
     enabled     INTEGER NOT NULL DEFAULT 1,
     last_used   BIGINT,
     created_at  BIGINT NOT NULL,
     updated_at  BIGINT NOT NULL,
     CHECK ((kind = 'hotp') = (counter IS NOT NULL)),
     CHECK ((kind = 'hotp') = (period IS NULL))
   );
   CREATE INDEX tokens_user ON tokens(user_id);
   INSERT INTO tokens (serial, kind, user_id, secret_box, algorithm, digits, period, last_step, last_used, created_at, updated_at)
     SELECT 'app:' || id, 'app', id, secret_box, algorithm, digits, period, last_step, last_success, created_at, updated_at FROM users;`,
  `ALTER TABLE users ADD COLUMN pin_streak INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE users ADD COLUMN lock_level INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE notices (
     user_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     kind     TEXT COLLATE "C" NOT NULL,
     sent_at  BIGINT NOT NULL,
     PRIMARY KEY (user_id, kind)
   );`,
  `CREATE TABLE roles (
     user_id        TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
     role           TEXT NOT NULL CHECK (role IN ('approver')),
     group_names    TEXT NOT NULL,
     host_patterns  TEXT,
     created_at     BIGINT NOT NULL,
     updated_at     BIGINT NOT NULL
   );
   CREATE TABLE api_tokens (
     id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     user_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     token_hash  TEXT NOT NULL UNIQUE,
     label       TEXT,
     created_at  BIGINT NOT NULL,
     created_by  TEXT,
     last_used   BIGINT,
     revoked_at  BIGINT
   );
   CREATE INDEX api_tokens_user ON api_tokens(user_id);`,
];
