"""Web sign-in links and sessions (keyed hashes only; see migration 016)."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.core.keys import UserKey
from bot.store.db import fetch_one, ts


async def add_link(db: aiosqlite.Connection, token_hash: str, user: UserKey, now: dt.datetime,
                   expires: dt.datetime) -> None:
    await db.execute(
        "INSERT INTO web_links (token_hash, user_key, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, user.value, ts(now), ts(expires)))


async def links_since(db: aiosqlite.Connection, user: UserKey, since: dt.datetime) -> int:
    """How many sign-in links this person asked for since ``since`` (the rate limit)."""
    row = await fetch_one(db, "SELECT COUNT(*) FROM web_links WHERE user_key = ? AND "
                              "created_at >= ?", (user.value, ts(since)))
    return int(row[0]) if row else 0


async def link_state(db: aiosqlite.Connection, token_hash: str, now: dt.datetime) -> str:
    """ok | used | expired | unknown, without using the link."""
    row = await fetch_one(db, "SELECT expires_at, used_at FROM web_links WHERE token_hash = ?",
                          (token_hash,))
    if row is None:
        return "unknown"
    if row["used_at"] is not None:
        return "used"
    return "ok" if row["expires_at"] > ts(now) else "expired"


async def link_owner(db: aiosqlite.Connection, token_hash: str) -> UserKey | None:
    row = await fetch_one(db, "SELECT user_key FROM web_links WHERE token_hash = ?",
                          (token_hash,))
    return UserKey(row[0]) if row else None


async def use_link(db: aiosqlite.Connection, token_hash: str, now: dt.datetime) -> UserKey | None:
    """Mark the link used if it is still good; its owner, else None (single use, atomic)."""
    cursor = await db.execute(
        "UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
        "AND expires_at > ?", (ts(now), token_hash, ts(now)))
    if cursor.rowcount != 1:
        return None
    row = await fetch_one(db, "SELECT user_key FROM web_links WHERE token_hash = ?",
                          (token_hash,))
    return UserKey(row[0]) if row else None


async def start_session(db: aiosqlite.Connection, token_hash: str, user: UserKey,
                        now: dt.datetime, expires: dt.datetime) -> None:
    await db.execute(
        "INSERT INTO web_sessions (token_hash, user_key, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)", (token_hash, user.value, ts(now), ts(expires)))


async def session_user(db: aiosqlite.Connection, token_hash: str,
                       now: dt.datetime) -> UserKey | None:
    """The owner of a live session, else None."""
    row = await fetch_one(db, "SELECT user_key FROM web_sessions WHERE token_hash = ? AND "
                              "expires_at > ?", (token_hash, ts(now)))
    return UserKey(row[0]) if row else None


async def end_session(db: aiosqlite.Connection, token_hash: str) -> None:
    await db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))


async def end_all(db: aiosqlite.Connection, user: UserKey) -> int:
    """Sign a person out everywhere (their unused links go too); how many sessions ended."""
    await db.execute("DELETE FROM web_links WHERE user_key = ? AND used_at IS NULL",
                     (user.value,))
    cursor = await db.execute("DELETE FROM web_sessions WHERE user_key = ?", (user.value,))
    return cursor.rowcount


async def purge(db: aiosqlite.Connection, now: dt.datetime) -> None:
    """Drop expired sessions and links older than a day."""
    await db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (ts(now),))
    await db.execute("DELETE FROM web_links WHERE created_at <= ?",
                     (ts(now - dt.timedelta(days=1)),))
