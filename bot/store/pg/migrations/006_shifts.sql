-- SQLite's 020 (bot/store/migrations/020_shifts.sql), for PostgreSQL: which peer holds which
-- shift, their arrival and no-show, and requests to swap a shift (/tukar).
CREATE TABLE shift_holds (
  starts_at text COLLATE "C" NOT NULL,
  ends_at text COLLATE "C" NOT NULL,
  peer_key text NOT NULL,
  taken_at text COLLATE "C" NOT NULL,
  arrived_at text COLLATE "C",
  left_at text COLLATE "C",
  no_show_at text COLLATE "C",
  PRIMARY KEY (starts_at, peer_key)
);
CREATE INDEX shift_holds_peer ON shift_holds (peer_key, starts_at);

CREATE TABLE shift_swaps (
  token text PRIMARY KEY,
  starts_at text COLLATE "C" NOT NULL,
  requester_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'taken', 'lapsed', 'withdrawn')),
  taker_key text,
  asked_at text COLLATE "C" NOT NULL,
  settled_at text COLLATE "C"
);
