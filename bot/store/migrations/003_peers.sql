-- Peer support: invites, offers of a case to peers, who must not be offered a case again,
-- satisfaction surveys and supervisors' private notes.
CREATE TABLE invites (
  id INTEGER PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('peer', 'counselor', 'backup')),
  name TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  used_by TEXT
);

ALTER TABLE users ADD COLUMN last_assigned_at TEXT;
ALTER TABLE users ADD COLUMN pseudonym TEXT;  -- what students see of a peer (chosen at /join)

CREATE TABLE offers (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  peer_key TEXT NOT NULL,
  round INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'closed')),
  created_at TEXT NOT NULL,
  UNIQUE (case_id, peer_key, round)
);
CREATE INDEX offers_peer ON offers (peer_key, status);

CREATE TABLE case_excluded_peers (
  case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  peer_key TEXT NOT NULL,
  PRIMARY KEY (case_id, peer_key)
);

CREATE TABLE surveys (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL,
  route TEXT NOT NULL,
  topic TEXT NOT NULL,
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT,
  at TEXT NOT NULL,
  UNIQUE (case_id)
);

CREATE TABLE staff_notes (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  author_key TEXT NOT NULL,
  text TEXT NOT NULL,
  at TEXT NOT NULL
);
