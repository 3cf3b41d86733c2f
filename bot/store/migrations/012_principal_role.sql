-- The principal (kepala sekolah, issue #18): a staff role invited like the others that sees
-- only the web view's report and health pages (no cases, no alerts, no students' words).
-- SQLite cannot ALTER a CHECK constraint; this edits the constraint's text in the schema, the
-- procedure SQLite documents for changes that leave the stored data as it is ("Making Other
-- Kinds Of Table Schema Changes"), and RESET reloads the schema. If a database's text does
-- not match, nothing changes and enrolling a principal fails on the CHECK (never worse).
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql,
    'CHECK (role IN (''student'', ''peer'', ''counselor'', ''backup''))',
    'CHECK (role IN (''student'', ''peer'', ''counselor'', ''backup'', ''principal''))')
  WHERE type = 'table' AND name = 'users';
UPDATE sqlite_master SET sql = replace(sql,
    'CHECK (role IN (''peer'', ''counselor'', ''backup''))',
    'CHECK (role IN (''peer'', ''counselor'', ''backup'', ''principal''))')
  WHERE type = 'table' AND name = 'invites';
PRAGMA writable_schema = RESET;
