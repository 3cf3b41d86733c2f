-- The web view for guru BK (issue #18): sign-in links sent in the chat and browser sessions.
-- Only keyed hashes of the tokens are stored (IdentityVault.web_hash): a copy of the database
-- cannot be used to sign in. A link is single use (used_at) and short-lived; a session ends
-- at expires_at, at sign-out, or when "/dasbor keluar" ends all of a person's sessions.
CREATE TABLE web_links (
  token_hash TEXT PRIMARY KEY,
  user_key TEXT NOT NULL REFERENCES users (key) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
) WITHOUT ROWID;
CREATE INDEX web_links_user ON web_links (user_key, created_at);

CREATE TABLE web_sessions (
  token_hash TEXT PRIMARY KEY,
  user_key TEXT NOT NULL REFERENCES users (key) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_sessions_user ON web_sessions (user_key);
