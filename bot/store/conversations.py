"""Conversation state per user: flow, state, variables, and a version bumped on every save."""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.core.conversation import Conversation
from bot.core.keys import UserKey
from bot.store.db import fetch_one, ts


async def load(db: aiosqlite.Connection, key: UserKey, lang: str) -> Conversation:
    row = await fetch_one(
        db, "SELECT flow, state, unseal(vars) AS vars, version FROM conversations "
        "WHERE user_key = ?", (key.value,)
    )
    if row is None:
        return Conversation(user=key, lang=lang)
    return Conversation(
        key, lang, row["flow"], row["state"], json.loads(row["vars"]), row["version"]
    )


async def save(db: aiosqlite.Connection, conv: Conversation, now: dt.datetime) -> None:
    await db.execute(
        "INSERT INTO conversations (user_key, flow, state, vars, version, updated_at) "
        "VALUES (?, ?, ?, seal(?), ?, ?) ON CONFLICT (user_key) DO UPDATE SET "
        "flow = excluded.flow, "
        "state = excluded.state, vars = excluded.vars, version = excluded.version, "
        "updated_at = excluded.updated_at",
        (
            conv.user.value,
            conv.flow,
            conv.state,
            json.dumps(conv.vars, ensure_ascii=False),
            conv.version,
            ts(now),
        ),
    )


async def delete(db: aiosqlite.Connection, key: UserKey) -> None:
    await db.execute("DELETE FROM conversations WHERE user_key = ?", (key.value,))
