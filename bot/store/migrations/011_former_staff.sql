-- A removed staff member (sebaya staff remove) becomes a student again, but keeps who they were
-- for the record: the audit, /lihat and the reports name them (with their past workload)
-- instead of relabelling their past actions as a student's.
ALTER TABLE users ADD COLUMN former_role TEXT;
ALTER TABLE users ADD COLUMN removed_at TEXT;
