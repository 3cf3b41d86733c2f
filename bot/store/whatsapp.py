"""What the WhatsApp channel keeps: links between the keyed hashes of a person's identifiers
(wa_id, business-scoped user id) and one canonical id, and the numbered menus last sent.

Nothing here is a phone number, a name or a platform id in clear: only keyed hashes (the
channel makes them) and the bot's own button data and labels.
"""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.store.db import fetch_all, parse_ts, ts


async def canonical_of(db: aiosqlite.Connection, hashes: list[str]) -> dict[str, str]:
    """The canonical id of each known hash."""
    rows = await fetch_all(
        db, "SELECT id_hash, canonical FROM wa_identities WHERE id_hash IN "
        "(SELECT value FROM json_each(?))", (json.dumps(hashes),))
    return {row["id_hash"]: row["canonical"] for row in rows}


async def link(db: aiosqlite.Connection, pairs: list[tuple[str, str]], now: dt.datetime) -> None:
    """Point each hash at its canonical id (the first link wins: a key never moves)."""
    if pairs:
        await db.executemany(
            "INSERT OR IGNORE INTO wa_identities (id_hash, canonical, created_at) "
            "VALUES (?, ?, ?)", [(h, c, ts(now)) for h, c in pairs])


async def save_menu(db: aiosqlite.Connection, address_hash: str,
                    options: list[tuple[str, str]] | None, now: dt.datetime) -> None:
    """The numbered options now shown to this person (None: no numbered menu any more)."""
    if options is None:
        await db.execute("DELETE FROM wa_menus WHERE address_hash = ?", (address_hash,))
        return
    await db.execute(
        "INSERT INTO wa_menus (address_hash, options, sent_at) VALUES (?, ?, ?) "
        "ON CONFLICT (address_hash) DO UPDATE SET options = excluded.options, "
        "sent_at = excluded.sent_at",
        (address_hash, json.dumps(options, ensure_ascii=False), ts(now)))


async def menu(db: aiosqlite.Connection, address_hashes: list[str], newer_than: dt.datetime
               ) -> list[tuple[str, str]]:
    """The numbered options last shown to this person, if recent enough."""
    rows = await fetch_all(
        db, "SELECT options, sent_at FROM wa_menus WHERE address_hash IN "
        "(SELECT value FROM json_each(?)) ORDER BY sent_at DESC", (json.dumps(address_hashes),))
    for row in rows:
        if parse_ts(row["sent_at"]) > newer_than:
            return [(str(label), str(data)) for label, data in json.loads(row["options"])]
    return []

