-- SQLite's 019 (bot/store/migrations/019_angket.sql), for PostgreSQL: the angket's open
-- periods, its answers (no student, no case, no time; a random key) and the keyed marks that
-- refuse a second response. PostgreSQL keeps a heap in insertion order, which SQLite's
-- WITHOUT ROWID avoids: a mark and an answer written in one transaction sit near each other
-- on disk; the mark is a keyed hash, so pairing them still needs the installation secret.
CREATE TABLE angket_runs (
  angket_id text PRIMARY KEY,
  opened_at text COLLATE "C" NOT NULL,
  closes_at text COLLATE "C" NOT NULL,
  closed_at text COLLATE "C",
  opened_by text
);

CREATE TABLE angket_answers (
  token text PRIMARY KEY,
  angket_id text NOT NULL,
  item_id text NOT NULL,
  answer text NOT NULL
);
CREATE INDEX angket_answers_item ON angket_answers (angket_id, item_id, answer);

CREATE TABLE angket_done (
  angket_id text NOT NULL,
  mark text NOT NULL,
  PRIMARY KEY (angket_id, mark)
);
