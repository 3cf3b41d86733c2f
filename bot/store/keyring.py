"""The keyring row (migration 018; PostgreSQL 004): the wrapped root key, on both stores.

The vault (``bot.core.identity.IdentityVault``) does the cryptography; this module only
reads and writes the one row, with SQL both stores run (``bot/store/pg/sql.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from bot.store.db import fetch_one, sqlite_has_table, ts
from bot.store.port import is_postgres


class Keyed(Protocol):
    """What binds to a database's root key (IdentityVault fits)."""

    origin: str

    def unlock(self, wrapped: str, scheme: str | None = None) -> None: ...

    def new_scheme(self, fresh: bool) -> str: ...

    def use_legacy_root(self) -> None: ...

    def wrap_root(self, secret: bytes | None = None) -> str: ...


@dataclass(frozen=True)
class KeyringRow:
    scheme: str
    wrapped: str
    origin: str  # 'legacy' | 'random'
    created_at: str
    rotated_at: str | None


async def has_table(db: Any) -> bool:
    if is_postgres(db):
        row = await fetch_one(db, "SELECT to_regclass('keyring') IS NOT NULL")
        return bool(row[0])
    return await sqlite_has_table(db, "keyring")


async def read(db: Any) -> KeyringRow | None:
    """The row, or None (no table yet, or not filled yet)."""
    if not await has_table(db):
        return None
    row = await fetch_one(db, "SELECT scheme, wrapped, origin, created_at, rotated_at "
                              "FROM keyring WHERE id = 1")
    return None if row is None else KeyringRow(*(row[i] for i in range(5)))


async def ensure(db: Any, vault: Keyed, legacy: bool, now: dt.datetime) -> KeyringRow | None:
    """Fill the row if it is empty (the vault's root: the legacy one for a database made
    before envelope keys, else its random one), then bind the vault to what is stored:
    workers racing to fill it all end up with the one root that won. Without the table
    (migrations stopped before it: tests of older schemas) the vault derives as before it."""
    if legacy or not await has_table(db):
        vault.use_legacy_root()
        if not await has_table(db):
            return None
    fresh = await fetch_one(db, "SELECT 1 FROM users LIMIT 1") is None
    scheme = vault.new_scheme(fresh)
    await db.execute(
        "INSERT OR IGNORE INTO keyring (id, scheme, wrapped, origin, created_at) "
        "VALUES (1, ?, ?, ?, ?)",
        (scheme, vault.wrap_root(), "legacy" if legacy else "random", ts(now)))
    row = await read(db)
    assert row is not None
    vault.unlock(row.wrapped, row.scheme)
    return row


async def rewrap(db: Any, old: str, new: str, now: dt.datetime) -> bool:
    """Replace the wrapped root (only if it is still ``old``): True when it was replaced."""
    cursor = await db.execute("UPDATE keyring SET wrapped = ?, rotated_at = ? "
                              "WHERE id = 1 AND wrapped = ?", (new, ts(now), old))
    return cursor.rowcount == 1
