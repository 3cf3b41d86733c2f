"""`sebaya migrate-from-sqlite FILE`: a school's SQLite database moved into PostgreSQL.

Rows are copied as they are stored: sealed words and addresses stay sealed (the same secret
opens them in PostgreSQL), ids are kept (and each identity continues after the highest), and
every table's row count is checked afterwards. A text value in a sealed column (plaintext from
before SQLite's migration 007, should any remain) is sealed on the way. The target must be
empty: nothing is merged.
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


async def copy_sqlite(path: Path, url: str, sealer: Sealer) -> list[Copied]:
    """Copy every table of the SQLite file at ``path`` into the (empty) PostgreSQL database
    at ``url``; returns the row count of each table, checked on both sides."""
    if not path.exists():
        raise SebayaError(f"{path} does not exist")
    source = await Store.open(path, sealer)  # migrates it to the latest version, checks the secret
    await source.close()
    target = await PgStore.open(url, sealer)  # migrates, checks (or records) the secret
    try:
        async with target._pool.acquire() as con:
            if await con.fetchval("SELECT EXISTS (SELECT 1 FROM users) OR EXISTS "
                                  "(SELECT 1 FROM inbox)"):
                raise NotEmpty(f"{url.rsplit('@', 1)[-1]} already holds data: nothing copied")
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                async with con.transaction():
                    out = [await _table(db, con, table, sealer) for table in TABLES]
    finally:
        await target.close()
    return out


async def _table(db: sqlite3.Connection, con: asyncpg.Connection, table: str,
                 sealer: Sealer) -> Copied:
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    types = {r["column_name"]: r["data_type"] for r in await con.fetch(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1",
        table)}
    columns = [c for c in columns if c in types]
    sealed = {c for c in columns if types[c] == "bytea"}
    rows = [tuple(_value(v, c in sealed, sealer) for v, c in zip(row, columns, strict=True))
            for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}")]
    if table in ("meta", "keyring"):  # the target recorded the (same) secret's fingerprint
        await con.execute(f"DELETE FROM {table}")  # and root key already: SQLite's go over
    if rows:
        await con.copy_records_to_table(table, records=rows, columns=columns)
    if table in ID_TABLES:
        await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    copied = await con.fetchval(f"SELECT COUNT(*) FROM {table}")
    if copied != len(rows):
        raise SebayaError(f"{table}: {len(rows)} rows read, {copied} written: rolled back")
    return Copied(table, copied)


def _value(value: object, sealed: bool, sealer: Sealer) -> object:
    if sealed and isinstance(value, str):  # plaintext left from before sealing
        return sealer.seal(value)
    return value
