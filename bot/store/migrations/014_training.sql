-- The training gate (issue #17): a peer goes on duty (or is offered cases) only once trained
-- (every module passed, bot/core/training.py) and approved by guru BK (/setujui NAMA or
-- `sebaya staff approve`). Peers enrolled before the gate existed were already serving: they
-- count as trained and approved by this migration, and the audit log says so, one row each.
ALTER TABLE users ADD COLUMN trained_at TEXT;
ALTER TABLE users ADD COLUMN approved_at TEXT;
ALTER TABLE users ADD COLUMN approved_by TEXT;  -- a staff key, 'operator' or 'migration'

INSERT INTO audit (at, actor_key, action, detail)
  SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, 'peer_approved',
         json_object('code', code, 'by', 'migration', 'reason', 'enrolled before the gate')
  FROM users WHERE role = 'peer';
UPDATE users SET trained_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                 approved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                 approved_by = 'migration'
  WHERE role = 'peer';
