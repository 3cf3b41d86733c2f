-- Every raw inbound event, committed before the platform is told "received".
-- payload is the sealed (encrypted) event; it is wiped once the event is handled.
CREATE TABLE inbox (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  payload BLOB,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  handled_at TEXT,
  UNIQUE (channel, external_id)
);
CREATE INDEX inbox_pending ON inbox (status, id);

-- People, by pseudonymous key. No platform id, name or username is ever stored.
CREATE TABLE users (
  key TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'student' CHECK (role IN ('student', 'peer', 'counselor', 'backup')),
  alias TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  display_name TEXT,
  lang TEXT NOT NULL DEFAULT 'id',
  address BLOB NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
);
CREATE INDEX users_role ON users (role);

CREATE TABLE conversations (
  user_key TEXT PRIMARY KEY REFERENCES users (key) ON DELETE CASCADE,
  flow TEXT,
  state TEXT,
  vars TEXT NOT NULL DEFAULT '{}',
  version INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);

CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  student_key TEXT NOT NULL,
  code TEXT NOT NULL,
  route TEXT NOT NULL CHECK (route IN ('peer', 'counselor')),
  topic TEXT NOT NULL,
  weight INTEGER NOT NULL,
  level TEXT NOT NULL DEFAULT 'normal' CHECK (level IN ('normal', 'concern', 'crisis')),
  status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'closed')),
  assignee_key TEXT,
  intake TEXT NOT NULL DEFAULT '{}',
  opened_at TEXT NOT NULL,
  closed_at TEXT
);
CREATE INDEX cases_student ON cases (student_key, status);

CREATE TABLE case_messages (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  sender TEXT NOT NULL,
  text TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

-- Messages waiting to be sent; address is a sealed copy so a deleted user's last reply still goes.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  recipient_key TEXT NOT NULL,
  address BLOB NOT NULL,
  payload TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  last_error TEXT
);
CREATE INDEX outbox_due ON outbox (status, priority DESC, id);
CREATE INDEX outbox_recipient ON outbox (recipient_key, status, id);

CREATE TABLE timers (
  id INTEGER PRIMARY KEY,
  owner_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  due_at TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  UNIQUE (owner_key, kind)
);
CREATE INDEX timers_due ON timers (due_at);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor_key TEXT,
  action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
