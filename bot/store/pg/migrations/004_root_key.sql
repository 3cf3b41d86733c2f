-- SQLite's migration 018 (bot/store/migrations/018_root_key.sql), for PostgreSQL: the root key
-- every key derives from, wrapped under the installation secret. One row, filled in Python by
-- PgStore.migrate under the migration lock (the database never sees the key): a database made
-- before this migration keeps the root its secret implied ('legacy'), a new one a random one.
-- Timestamps are fixed-width UTC ISO text with the "C" collation, as in 001.
CREATE TABLE keyring (
  id integer PRIMARY KEY CHECK (id = 1),
  scheme text NOT NULL,
  wrapped text NOT NULL,
  origin text NOT NULL CHECK (origin IN ('legacy', 'random')),
  created_at text COLLATE "C" NOT NULL,
  rotated_at text COLLATE "C"
);
