-- TPPK (Tim Pencegahan dan Penanganan Kekerasan, Permendikbudristek 46/2023): a staff role of
-- its own. SQLite cannot change a CHECK constraint, so users and invites are rebuilt. The only
-- table referencing users is conversations (ON DELETE CASCADE, foreign keys on): it is copied
-- aside and dropped first, so dropping users cascades nowhere, then restored as it was.
CREATE TEMP TABLE conversations_keep AS SELECT * FROM conversations;
DROP TABLE conversations;

CREATE TABLE users_new (
  key TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'student'
    CHECK (role IN ('student', 'peer', 'counselor', 'backup', 'tppk')),
  alias TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  display_name TEXT,
  lang TEXT NOT NULL DEFAULT 'id',
  address BLOB NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  duty TEXT NOT NULL DEFAULT 'auto' CHECK (duty IN ('auto', 'on', 'off')),
  last_assigned_at TEXT,
  pseudonym TEXT,
  unreachable_since TEXT
);
INSERT INTO users_new (key, channel, role, alias, code, display_name, lang, address, created_at,
                       last_seen_at, duty, last_assigned_at, pseudonym, unreachable_since)
  SELECT key, channel, role, alias, code, display_name, lang, address, created_at,
         last_seen_at, duty, last_assigned_at, pseudonym, unreachable_since FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_role ON users (role);

CREATE TABLE conversations (
  user_key TEXT PRIMARY KEY REFERENCES users (key) ON DELETE CASCADE,
  flow TEXT,
  state TEXT,
  vars TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
INSERT INTO conversations (user_key, flow, state, vars, version, updated_at)
  SELECT user_key, flow, state, vars, version, updated_at FROM conversations_keep;
DROP TABLE conversations_keep;

CREATE TABLE invites_new (
  id INTEGER PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('peer', 'counselor', 'backup', 'tppk')),
  name TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  used_by TEXT
);
INSERT INTO invites_new SELECT id, code_hash, role, name, created_at, expires_at, used_at,
                               used_by FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
