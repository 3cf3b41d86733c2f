"""`sebaya migrate-from-sqlite FILE`: a school's SQLite database moved into PostgreSQL.

Rows are copied as they are stored: sealed words and addresses stay sealed (the same secret
opens them in PostgreSQL), ids are kept (and each identity continues after the highest), and
every table's row count is checked afterwards. A text value in a sealed column (plaintext from
before SQLite's migration 007, should any remain) is sealed on the way. The target school must
be empty: nothing is merged.

Several schools (issue #19): each SQLite file becomes one school (``--school``, default the
implicit one) of the shared database. Every key is per school there (migration 008), so a
school's ids and codes go over unchanged beside another's; the shared identity sequences are
moved past the copied ids. The copy runs as the tables' owner (``migrate_url``: moving the
sequences is the owner's) inside one transaction of the school, and row-level security holds
it to that school like any other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.errors import SebayaError
from bot.store.db import Sealer, Store
from bot.store.pg.sql import ID_TABLES
from bot.store.pg.store import PgStore

# Parents before children (foreign keys), everything of the schema.
TABLES = ("users", "conversations", "cases", "case_messages", "offers", "case_excluded_peers",
          "surveys", "staff_notes", "invites", "inbox", "outbox", "timers", "audit",
          "appointments", "group_sessions", "group_signups", "meta", "reply_windows",
          "inbox_seen", "wa_identities", "wa_menus", "web_links", "web_sessions", "keyring",
          "angket_runs", "angket_answers", "angket_done", "shift_holds", "shift_swaps")


class NotEmpty(SebayaError):
    """The PostgreSQL database already holds a school's data."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


async def copy_sqlite(path: Path, url: str, sealer: Sealer, *, school: str | None = None,
                      migrate_url: str | None = None) -> list[Copied]:
    """Copy every table of the SQLite file at ``path`` into ``school`` (None: the implicit
    one) of the PostgreSQL database at ``url``, where that school must hold nothing yet;
    returns the row count of each table, checked on both sides."""
    if not path.exists():
        raise SebayaError(f"{path} does not exist")
    source = await Store.open(path, sealer)  # migrates it to the latest version, checks the secret
    await source.close()
    # migrates, checks (or records) the secret for the school
    target = await PgStore.open(url, sealer, school=school, migrate_url=migrate_url)
    try:
        con = await asyncpg.connect(migrate_url or url)
        try:
            async with con.transaction():
                await con.execute("SELECT set_config('sebaya.school', $1, true)", target.school)
                if await con.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE school = $1) "
                                      "OR EXISTS (SELECT 1 FROM inbox WHERE school = $1)",
                                      target.school):
                    raise NotEmpty(f"school {target.school} of {url.rsplit('@', 1)[-1]} "
                                   "already holds data: nothing copied")
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                    out = [await _table(db, con, table, sealer, target.school)
                           for table in TABLES]
        finally:
            await con.close()
    finally:
        await target.close()
    return out


async def _table(db: sqlite3.Connection, con: asyncpg.Connection, table: str,
                 sealer: Sealer, school: str) -> Copied:
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    types = {r["column_name"]: r["data_type"] for r in await con.fetch(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1",
        table)}
    columns = [c for c in columns if c in types and c != "school"]  # the school: its default
    sealed = {c for c in columns if types[c] == "bytea"}
    rows = [tuple(_value(v, c in sealed, sealer) for v, c in zip(row, columns, strict=True))
            for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}")]
    if table in ("meta", "keyring"):  # the target recorded the (same) secret's fingerprint
        # and root key already: SQLite's go over
        await con.execute(f"DELETE FROM {table} WHERE school = $1", school)
    if rows:  # INSERT, not COPY: COPY FROM refuses a table under row-level security
        await con.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join(f'${n}' for n in range(1, len(columns) + 1))})", rows)
    if table in ID_TABLES:  # the shared sequence goes past this school's ids (and others')
        sequence = await con.fetchval(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        await con.execute(f"SELECT setval('{sequence}', GREATEST((SELECT last_value + 1 FROM "
                          f"{sequence}), COALESCE((SELECT MAX(id) FROM {table} WHERE "
                          f"school = $1), 0) + 1), false)", school)
    copied = await con.fetchval(f"SELECT COUNT(*) FROM {table} WHERE school = $1", school)
    if copied != len(rows):
        raise SebayaError(f"{table}: {len(rows)} rows read, {copied} written: rolled back")
    return Copied(table, copied)


def _value(value: object, sealed: bool, sealer: Sealer) -> object:
    if sealed and isinstance(value, str):  # plaintext left from before sealing
        return sealer.seal(value)
    return value
