-- Crisis handling: who is on duty, and what a case went through.
-- duty: 'auto' follows the shifts in config.yaml, 'on'/'off' are the /onduty and /offduty toggles
ALTER TABLE users ADD COLUMN duty TEXT NOT NULL DEFAULT 'auto' CHECK (duty IN ('auto', 'on', 'off'));
ALTER TABLE cases ADD COLUMN category TEXT;
ALTER TABLE cases ADD COLUMN risk_rules TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN crisis_at TEXT;
ALTER TABLE cases ADD COLUMN claimed_at TEXT;
ALTER TABLE cases ADD COLUMN closed_by TEXT;
ALTER TABLE cases ADD COLUMN outcome_note TEXT;
CREATE INDEX cases_code ON cases (code, status);
CREATE INDEX cases_assignee ON cases (assignee_key, status);
