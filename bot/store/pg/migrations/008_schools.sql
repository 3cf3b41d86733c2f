-- Many schools in one database (issue #19): every row carries its school, and row-level
-- security keeps each school's transactions to its own rows. PostgreSQL only: on SQLite a
-- school is a database file of its own (docs/ARCHITECTURE.md, "Schools").
--
-- * every table but the migrations' bookkeeping (sebaya_schema) gets `school text NOT NULL`;
--   existing rows become 'default' (the implicit single school); new rows take the school the
--   transaction set (`SELECT set_config('sebaya.school', $1, true)`, bot/store/pg/store.py),
--   so no INSERT names it. A transaction that set none inserts nothing (no default: an error);
-- * ENABLE and FORCE ROW LEVEL SECURITY, one policy for every command: a row is seen and
--   written only by a transaction of its school, and a transaction that set no school sees
--   nothing. FORCE: the owner is held to it too (superusers and BYPASSRLS roles are not: the
--   application's role must be neither, docs/panduan-operator.md);
-- * every PRIMARY KEY and UNIQUE constraint becomes per school (school first), identities too:
--   two schools hold the same case code or user key without a collision that would tell one
--   about the other, and `sebaya migrate-from-sqlite --school` keeps a school's ids as they
--   were. The identity sequences stay shared, so new ids never repeat across schools;
-- * every foreign key names the school on both sides: no row can point into another school;
-- * every other index leads with the school (each query is one school's).
-- Written over the catalog rather than table by table, so nothing is missed; a table added
-- by a later migration must do the same for itself (tests/store/test_school_isolation.py
-- checks every table).

DO $$
DECLARE
  t record;
  k record;
  foreign_keys text[] := '{}';
  statement text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
             AND c.relname <> 'sebaya_schema' LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN school text NOT NULL DEFAULT %L '
                   'CONSTRAINT %I CHECK (school <> %L)', t.relname, 'default',
                   t.relname || '_school_check', '');
    EXECUTE format('ALTER TABLE %I ALTER COLUMN school SET DEFAULT current_setting(%L)',
                   t.relname, 'sebaya.school');
  END LOOP;

  -- foreign keys go first (they hang on the keys below) and come back with the school
  FOR k IN SELECT conrelid::regclass AS tab, conname, pg_get_constraintdef(oid) AS def
           FROM pg_constraint
           WHERE contype = 'f' AND connamespace = current_schema()::regnamespace LOOP
    foreign_keys := foreign_keys || format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.tab,
      k.conname, regexp_replace(regexp_replace(k.def, '^FOREIGN KEY \(', 'FOREIGN KEY (school, '),
                                'REFERENCES ([^(]+)\(', 'REFERENCES \1(school, '));
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tab, k.conname);
  END LOOP;

  FOR k IN SELECT conrelid::regclass AS tab, conname, pg_get_constraintdef(oid) AS def
           FROM pg_constraint
           WHERE contype IN ('p', 'u') AND connamespace = current_schema()::regnamespace
             AND conrelid <> 'sebaya_schema'::regclass LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tab, k.conname);
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.tab, k.conname,
                   regexp_replace(k.def, '^(PRIMARY KEY|UNIQUE) \(', '\1 (school, '));
  END LOOP;

  FOREACH statement IN ARRAY foreign_keys LOOP
    EXECUTE statement;
  END LOOP;

  -- the other indexes (not a constraint's): the school leads
  FOR k IN SELECT x.indexrelid::regclass AS idx, pg_get_indexdef(x.indexrelid) AS def
           FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
           WHERE c.relnamespace = current_schema()::regnamespace
             AND c.relname <> 'sebaya_schema'
             AND NOT EXISTS (SELECT FROM pg_constraint p WHERE p.conindid = x.indexrelid
                             AND p.conrelid = x.indrelid) LOOP
    EXECUTE format('DROP INDEX %s', k.idx);
    EXECUTE regexp_replace(k.def, ' USING (\w+) \(', ' USING \1 (school, ');
  END LOOP;

  FOR t IN SELECT c.relname FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
             AND c.relname <> 'sebaya_schema' LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('CREATE POLICY school_only ON %I USING (school = current_setting(%L, true)) '
                   'WITH CHECK (school = current_setting(%L, true))', t.relname,
                   'sebaya.school', 'sebaya.school');
  END LOOP;
END
$$;
