-- WhatsApp (issue #15), and any channel like it.
-- When each person last wrote on a channel with a reply window (WhatsApp: free-form messages
-- for 24 hours after it, templates only outside); closed_at: the platform said it is closed.
CREATE TABLE reply_windows (
  user_key TEXT PRIMARY KEY,
  last_inbound_at TEXT NOT NULL,
  closed_at TEXT
) WITHOUT ROWID;
-- Delivery reports (WhatsApp statuses): sent < delivered < read, or failed with its code;
-- recorded monotonically, never downgraded. purpose: what a template may stand in for when
-- the window is closed (alert, notice, reminder, queue). A row waiting for its recipient to
-- write again has last_error = 'held'.
ALTER TABLE outbox ADD COLUMN delivery TEXT;
ALTER TABLE outbox ADD COLUMN delivery_error TEXT;
ALTER TABLE outbox ADD COLUMN purpose TEXT;
CREATE INDEX outbox_ref ON outbox (channel, platform_ref) WHERE platform_ref IS NOT NULL;
-- Dedup keys outlive the processed inbox rows: Meta re-delivers the same message for days,
-- so the keys of purged rows are kept here for at least 14 days.
CREATE TABLE inbox_seen (
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (channel, external_id)
) WITHOUT ROWID;
CREATE INDEX inbox_seen_age ON inbox_seen (received_at);
-- WhatsApp identities: keyed hashes of a person's wa_id and business-scoped user id (BSUID),
-- each pointing at one canonical id, so a person keeps one pseudonymous key whichever arrives.
CREATE TABLE wa_identities (
  id_hash TEXT PRIMARY KEY,
  canonical TEXT NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
-- The numbered options last sent to a person (more than 10 choices: a reply "7" presses the
-- seventh); keyed by a hash of the address.
CREATE TABLE wa_menus (
  address_hash TEXT PRIMARY KEY,
  options TEXT NOT NULL,
  sent_at TEXT NOT NULL
) WITHOUT ROWID;
