-- BK services beyond intake: appointments with guru BK and group sessions.
CREATE TABLE appointments (
  id INTEGER PRIMARY KEY,
  student_key TEXT NOT NULL,          -- pseudonymous; ON DELETE: /hapus removes the row
  slot TEXT NOT NULL,                 -- UTC, like every timestamp
  topic TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('requested', 'declined', 'confirmed', 'cancelled',
                                         'done')),
  identity BLOB,                      -- name and class, sealed; only with the student's consent
  consent_at TEXT,                    -- when the student agreed to share it with guru BK
  confirmed_by TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX appointments_student ON appointments (student_key, status);

CREATE TABLE group_sessions (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  place TEXT NOT NULL,
  seats INTEGER NOT NULL CHECK (seats > 0),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX group_sessions_start ON group_sessions (starts_at);

CREATE TABLE group_signups (
  session_id INTEGER NOT NULL REFERENCES group_sessions (id) ON DELETE CASCADE,
  student_key TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (session_id, student_key)
);
