"""Users: pseudonymous key, alias and case code, role, language, sealed reply address."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.core.identity import alias_for
from bot.core.keys import UserKey
from bot.store.db import ts


@dataclass(frozen=True)
class UserRow:
    key: UserKey
    channel: str
    role: str
    alias: str
    code: str
    display_name: str | None
    lang: str
    address: bytes


def _row(row: aiosqlite.Row) -> UserRow:
    return UserRow(UserKey(row["key"]), row["channel"], row["role"], row["alias"], row["code"],
                   row["display_name"], row["lang"], row["address"])


async def get(db: aiosqlite.Connection, key: UserKey) -> UserRow | None:
    async with db.execute("SELECT * FROM users WHERE key = ?", (key.value,)) as cursor:
        row = await cursor.fetchone()
    return _row(row) if row else None


async def touch(db: aiosqlite.Connection, key: UserKey, channel: str, address: bytes,
                lang: str, now: dt.datetime) -> UserRow:
    """Create the user on first contact (new alias and code), else refresh address and time."""
    existing = await get(db, key)
    if existing:
        await db.execute("UPDATE users SET address = ?, last_seen_at = ? WHERE key = ?",
                         (address, ts(now), key.value))
        return existing
    for salt in range(1000):
        alias, code = alias_for(key, salt)
        async with db.execute("SELECT 1 FROM users WHERE code = ?", (code,)) as cursor:
            if await cursor.fetchone() is None:
                break
    await db.execute(
        "INSERT INTO users (key, channel, alias, code, lang, address, created_at, last_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (key.value, channel, alias, code, lang, address, ts(now), ts(now)),
    )
    created = await get(db, key)
    assert created is not None
    return created


async def set_lang(db: aiosqlite.Connection, key: UserKey, lang: str) -> None:
    await db.execute("UPDATE users SET lang = ? WHERE key = ?", (lang, key.value))


async def set_role(db: aiosqlite.Connection, key: UserKey, role: str,
                   display_name: str | None) -> None:
    await db.execute("UPDATE users SET role = ?, display_name = ? WHERE key = ?",
                     (role, display_name, key.value))


async def with_role(db: aiosqlite.Connection, role: str,
                    on_duty_only: bool = False) -> list[UserRow]:
    sql = "SELECT * FROM users WHERE role = ?" + (" AND on_duty = 1" if on_duty_only else "")
    async with db.execute(sql + " ORDER BY created_at", (role,)) as cursor:
        return [_row(r) for r in await cursor.fetchall()]


async def delete(db: aiosqlite.Connection, key: UserKey) -> None:
    """Remove the person (their conversation goes with them by cascade)."""
    await db.execute("DELETE FROM users WHERE key = ?", (key.value,))
