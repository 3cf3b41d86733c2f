-- Shift commitment (issue #17 item 3): which peer holds which shift (a shift of the roster on
-- one day, named by its start), whether and when they came on duty (/onduty) and went off,
-- whether guru BK was told they did not come; and peers' requests to hand a shift to another
-- peer (/tukar). Only pseudonymous user keys, never a student.
CREATE TABLE shift_holds (
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  peer_key TEXT NOT NULL,
  taken_at TEXT NOT NULL,
  arrived_at TEXT,
  left_at TEXT,
  no_show_at TEXT,
  PRIMARY KEY (starts_at, peer_key)
);
CREATE INDEX shift_holds_peer ON shift_holds (peer_key, starts_at);

CREATE TABLE shift_swaps (
  token TEXT PRIMARY KEY,
  starts_at TEXT NOT NULL,
  requester_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'taken', 'lapsed', 'withdrawn')),
  taker_key TEXT,
  asked_at TEXT NOT NULL,
  settled_at TEXT
);
