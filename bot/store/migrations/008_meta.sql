-- Facts about the installation. secret_fingerprint: a one-way mark of the installation secret
-- (bot/core/identity.py): starting with another secret is refused instead of forking every
-- person into two and leaving every sealed address unreadable.
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
