-- Envelope keys (issue #13): the root key every key derives from (bot/core/keyring.py), kept
-- only wrapped (AES-256-GCM) under a key derived from the installation secret, so the secret
-- can change (sebaya secret rotate) without changing any user key, hash or sealed value.
-- One row. Store.open fills it in Python right after migrating (the key never passes through
-- SQL): a database made before this migration keeps the root its secret always implied
-- (origin 'legacy'), a new one gets a random root (origin 'random').
CREATE TABLE keyring (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  scheme TEXT NOT NULL,        -- 'envelope-v1'
  wrapped TEXT NOT NULL,       -- bot.core.keyring.wrap: 'v1.' + base64(nonce + sealed root)
  origin TEXT NOT NULL CHECK (origin IN ('legacy', 'random')),
  created_at TEXT NOT NULL,
  rotated_at TEXT              -- the last sebaya secret rotate; NULL: never
);
