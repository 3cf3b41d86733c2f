"""SQLite's spellings as PostgreSQL reads them (bot/store/pg/sql.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.store.pg.sql import Unsupported, translate

BOT = Path(__file__).resolve().parents[3] / "bot"
SQL_START = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def test_placeholders_become_numbered_and_named_ones_keep_their_order() -> None:
    assert translate("SELECT a FROM t WHERE b = ? AND c = ?").sql.endswith("b = $1 AND c = $2")
    reused = translate("SELECT 1 WHERE x = ?1 AND y = ?2 AND z = ?1")
    assert reused.sql == "SELECT 1 WHERE x = $1 AND y = $2 AND z = $1"
    named = translate("SELECT 1 WHERE a = :now AND b = :limit AND c <= :now")
    assert named.sql == "SELECT 1 WHERE a = $1 AND b = $2 AND c <= $1"
    assert named.order == ("now", "limit")


def test_string_literals_are_never_rewritten() -> None:
    query = translate("SELECT 1 WHERE a = 'why? :x' AND b = ?")
    assert query.sql == "SELECT 1 WHERE a = 'why? :x' AND b = $1"


def test_insert_or_ignore_and_lastrowid() -> None:
    query = translate("INSERT OR IGNORE INTO timers (owner_key) VALUES (?)")
    assert query.sql == ("INSERT INTO timers (owner_key) VALUES ($1) ON CONFLICT DO NOTHING "
                         "RETURNING id")
    assert query.returns_id and query.tables == {"timers"}
    assert not translate("INSERT INTO users (key) VALUES (?)").returns_id  # no id column
    # only new rows wake other workers (NOTIFY): a handled event does not
    assert translate("UPDATE inbox SET status = 'done' WHERE id = ?").tables == frozenset()


def test_a_conflict_target_names_the_school() -> None:
    """Every key is per school on PostgreSQL (migration 008): an upsert's target says so."""
    query = translate("INSERT INTO meta (key, value) VALUES (?, ?) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    assert "ON CONFLICT (school, key) DO UPDATE" in query.sql
    assert "ON CONFLICT (school, channel, external_id)" in translate(
        "INSERT INTO inbox_seen (channel, external_id, received_at) VALUES (?, ?, ?) "
        "on conflict (channel, external_id) DO NOTHING").sql
    assert translate("INSERT INTO meta (key) VALUES (?) ON CONFLICT (school, key) DO NOTHING"
                     ).sql.count("school") == 1  # already named: left alone
    assert "ON CONFLICT (key)" in translate(  # a schema from before 008 (tests of old ones)
        "INSERT INTO meta (key) VALUES (?) ON CONFLICT (key) DO NOTHING", False).sql


def test_is_comparisons_become_distinct_from() -> None:
    assert translate("SELECT 1 WHERE e IS NOT 'held' AND k IS ? AND n IS NULL "
                     "AND m IS NOT NULL").sql == (
        "SELECT 1 WHERE e IS DISTINCT FROM 'held' AND k IS NOT DISTINCT FROM $1 "
        "AND n IS NULL AND m IS NOT NULL")


def test_sealing_is_done_in_python_not_in_the_database() -> None:
    write = translate("UPDATE cases SET outcome_note = seal(?) WHERE id = ?")
    assert write.sql == "UPDATE cases SET outcome_note = $1 WHERE id = $2"
    assert write.sealed == {1}
    read = translate("SELECT json_extract(unseal(c.intake), '$.story') AS story, "
                     "unseal(vars) AS vars, unseal(comment) FROM cases c")
    assert read.sql == ("SELECT c.intake AS story, vars AS vars, comment AS unsealed_2 "
                        "FROM cases c")
    assert read.opened == (("story", "story"), ("vars", None), ("unsealed_2", None))


def test_json_lists_and_empty_blobs() -> None:
    assert translate("SELECT 1 WHERE k IN (SELECT value FROM json_each(?)) AND p = X''").sql == (
        "SELECT 1 WHERE k IN (SELECT value FROM json_array_elements_text(CAST($1 AS json))) "
        "AND p = '\\x'::bytea")


def test_what_is_not_translated_is_refused() -> None:
    with pytest.raises(Unsupported):
        translate("INSERT OR REPLACE INTO meta (key, value) VALUES ('a', 'b')")
    with pytest.raises(Unsupported):
        translate("SELECT instr(unseal(text), 'x') FROM case_messages")


def _queries() -> list[tuple[str, str]]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        if path.name in ("db.py", "operations.py") or "risk" in path.parts:
            continue  # SQLite's own connection code, and the SQLite file tools
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL_START.match(node.value) and " " in node.value.strip():
                found.append((f"{path.relative_to(BOT)}:{node.lineno}", node.value))
    return found


def test_every_query_of_the_store_translates() -> None:
    """Regression guard: a query written with SQLite-only syntax fails here, not in
    production on PostgreSQL."""
    queries = _queries()
    assert len(queries) > 100
    bad = []
    for where, sql in queries:
        try:
            translate(sql)
        except Unsupported as exc:
            bad.append(f"{where}: {exc}")
    assert bad == []
