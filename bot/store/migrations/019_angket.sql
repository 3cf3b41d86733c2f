-- The needs survey (angket, issue #17 item 5): when an angket is open, and its answers.
-- An answer row names no student, no case and no time; its key is random, so the table keeps
-- its rows in an order that cannot pair them with a student (WITHOUT ROWID: no insertion
-- order). angket_done holds a keyed mark of (angket, student), only to refuse a second
-- response; nothing links a mark to an answer.
CREATE TABLE angket_runs (
  angket_id TEXT PRIMARY KEY,
  opened_at TEXT NOT NULL,
  closes_at TEXT NOT NULL,
  closed_at TEXT,
  opened_by TEXT
) WITHOUT ROWID;

CREATE TABLE angket_answers (
  token TEXT PRIMARY KEY,
  angket_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  answer TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX angket_answers_item ON angket_answers (angket_id, item_id, answer);

CREATE TABLE angket_done (
  angket_id TEXT NOT NULL,
  mark TEXT NOT NULL,
  PRIMARY KEY (angket_id, mark)
) WITHOUT ROWID;
