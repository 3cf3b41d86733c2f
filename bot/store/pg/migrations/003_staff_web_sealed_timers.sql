-- SQLite's migrations 011-017 (bot/store/migrations), for PostgreSQL. What differs:
--   * a CHECK constraint can be changed in place: no table is rebuilt (SQLite's "-- @widen");
--   * timers.payload becomes bytea like the other sealed columns (SQLite's 015). The database
--     never sees the key, so the rows left in plaintext are sealed in Python, inside this
--     migration's transaction, by PgStore.migrate (bot/store/pg/store.py): that is what the
--     "@seal" line below asks for. A sealed value has no default: every write seals its own.
--   * timestamps are fixed-width UTC ISO text with the "C" collation, as in 001.

-- 011: a removed staff member keeps who they were for the record
ALTER TABLE users ADD COLUMN former_role text;
ALTER TABLE users ADD COLUMN removed_at text COLLATE "C";

-- 012: a change of time asked by one side waits for the other
ALTER TABLE appointments ADD COLUMN pending_slot text COLLATE "C";  -- UTC; NULL: nothing waits
ALTER TABLE appointments ADD COLUMN pending_from text;              -- 'student' | 'counselor'
ALTER TABLE appointments ADD COLUMN pending_by text;                -- the counselor who proposed

-- 013 and 017: the TPPK and principal roles
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('student', 'peer', 'counselor', 'backup', 'tppk', 'principal'));
ALTER TABLE invites DROP CONSTRAINT invites_role_check;
ALTER TABLE invites ADD CONSTRAINT invites_role_check
  CHECK (role IN ('peer', 'counselor', 'backup', 'tppk', 'principal'));

-- 014: the training gate; peers enrolled before it were already serving
ALTER TABLE users ADD COLUMN trained_at text COLLATE "C";
ALTER TABLE users ADD COLUMN approved_at text COLLATE "C";
ALTER TABLE users ADD COLUMN approved_by text;  -- a staff key, 'operator' or 'migration'

INSERT INTO audit (at, actor_key, action, detail)
  SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), NULL,
         'peer_approved',
         json_build_object('code', code, 'by', 'migration',
                           'reason', 'enrolled before the gate')::text
  FROM users WHERE role = 'peer' ORDER BY created_at, key;
UPDATE users
  SET trained_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      approved_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      approved_by = 'migration'
  WHERE role = 'peer';

-- 015: timer payloads sealed at rest (a crisis ladder's quotes the student's risky words)
ALTER TABLE timers ALTER COLUMN payload DROP DEFAULT;
ALTER TABLE timers ALTER COLUMN payload TYPE bytea USING convert_to(payload, 'UTF8');
-- @seal timers.payload

-- 016: the web view's sign-in links and browser sessions (keyed hashes of the tokens only)
CREATE TABLE web_links (
  token_hash text PRIMARY KEY,
  user_key text NOT NULL REFERENCES users (key) ON DELETE CASCADE,
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL,
  used_at text COLLATE "C"
);
CREATE INDEX web_links_user ON web_links (user_key, created_at);

CREATE TABLE web_sessions (
  token_hash text PRIMARY KEY,
  user_key text NOT NULL REFERENCES users (key) ON DELETE CASCADE,
  created_at text COLLATE "C" NOT NULL,
  expires_at text COLLATE "C" NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_key);
