"""Users: pseudonymous key, alias and case code, role, language, sealed reply address."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from bot.core.identity import alias_for
from bot.core.keys import UserKey
from bot.store.db import fetch_all, fetch_one, ts


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
    pseudonym: str | None = None
    duty: str = "auto"
    last_seen_at: str = ""
    unreachable_since: str = ""
    trained_at: str = ""
    approved_at: str = ""


def _row(row: aiosqlite.Row) -> UserRow:
    return UserRow(
        UserKey(row["key"]),
        row["channel"],
        row["role"],
        row["alias"],
        row["code"],
        row["display_name"],
        row["lang"],
        row["address"],
        row["pseudonym"],
        row["duty"],
        row["last_seen_at"],
        row["unreachable_since"] or "",
        row["trained_at"] or "",
        row["approved_at"] or "",
    )


async def get(db: aiosqlite.Connection, key: UserKey) -> UserRow | None:
    row = await fetch_one(db, "SELECT * FROM users WHERE key = ?", (key.value,))
    return _row(row) if row else None


async def touch(
    db: aiosqlite.Connection,
    key: UserKey,
    channel: str,
    seal: Callable[[], bytes],
    lang: str,
    now: dt.datetime,
    existing: UserRow | bool | None = True,
) -> UserRow:
    """Create the user on first contact (new alias and code), else refresh the sealed address
    and last-seen time, at most every ten minutes (a chat address does not move meanwhile).
    ``existing``: the row (or None) when the caller already read it."""
    if existing is True:
        existing = await get(db, key)
    if isinstance(existing, UserRow):
        if existing.last_seen_at < ts(now - dt.timedelta(minutes=10)):
            await db.execute(
                "UPDATE users SET address = ?, last_seen_at = ? WHERE key = ?",
                (seal(), ts(now), key.value),
            )
        return existing
    address = seal()
    for salt in range(1000):
        alias, code = alias_for(key, salt)
        if await fetch_one(db, "SELECT 1 FROM users WHERE code = ?", (code,)) is None:
            break
    alias = await _free_alias(db, key)
    await db.execute(
        "INSERT INTO users (key, channel, alias, code, lang, address, created_at, last_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (key.value, channel, alias, code, lang, address, ts(now), ts(now)),
    )
    created = await get(db, key)
    assert created is not None
    return created


_ALIAS_TRIES = 64  # animal-colour pairs tried before a number is added


async def _free_alias(db: aiosqlite.Connection, key: UserKey) -> str:
    """An alias nobody in the school has: the first free pair among the key's candidates, else
    the first candidate with the smallest free number ("Kucing Biru 2"), so two cases never
    show one alias to a staff member."""
    candidates = list(dict.fromkeys(alias_for(key, salt)[0] for salt in range(_ALIAS_TRIES)))
    taken = {row["alias"] for row in await fetch_all(
        db, "SELECT alias FROM users WHERE alias IN (SELECT value FROM json_each(?))",
        (json.dumps(candidates),))}
    free = next((name for name in candidates if name not in taken), None)
    if free is not None:
        return free
    base = candidates[0]
    numbered = {row["alias"] for row in await fetch_all(
        db, "SELECT alias FROM users WHERE alias LIKE ?", (base + " %",))}
    return next(f"{base} {n}" for n in range(2, len(numbered) + 3)
                if f"{base} {n}" not in numbered)


async def set_lang(db: aiosqlite.Connection, key: UserKey, lang: str) -> None:
    await db.execute("UPDATE users SET lang = ? WHERE key = ?", (lang, key.value))


async def set_role(
    db: aiosqlite.Connection, key: UserKey, role: str, display_name: str | None
) -> None:
    await db.execute(
        "UPDATE users SET role = ?, display_name = ?, former_role = NULL, removed_at = NULL "
        "WHERE key = ?", (role, display_name, key.value)
    )


# Who may count as on duty at all: anybody but a peer, and a peer only with a pseudonym,
# trained and approved (the training gate). Everything that says "on duty" uses it: routing,
# the web view, the reports (an unapproved peer with duty on is not on duty anywhere).
MAY_BE_ON_DUTY = ("(u.role != 'peer' OR (u.pseudonym IS NOT NULL AND u.trained_at IS NOT NULL "
                  "AND u.approved_at IS NOT NULL))")


def may_be_on_duty(row: UserRow) -> bool:
    """``MAY_BE_ON_DUTY`` for a row already read."""
    return row.role != "peer" or bool(row.pseudonym and row.trained_at and row.approved_at)


async def with_role(
    db: aiosqlite.Connection, role: str, on_duty_only: bool = False, on_shift: bool = False
) -> list[UserRow]:
    """Staff of a role; ``on_duty_only`` keeps those toggled on, or on shift when "auto"
    (and, for peers, only trained and approved ones: ``MAY_BE_ON_DUTY``)."""
    sql, args = "SELECT * FROM users u WHERE role = ?", [role]
    if on_duty_only:
        sql += " AND (duty = 'on' OR (duty = 'auto' AND ?)) AND " + MAY_BE_ON_DUTY
        args.append(int(on_shift))
    return [_row(r) for r in await fetch_all(db, sql + " ORDER BY created_at", args)]


async def available_peers(
    db: aiosqlite.Connection, on_shift: bool, capacity: int, case_id: int
) -> list[UserRow]:
    """Peers who can take a case now: on duty, under capacity, not excluded from this case;
    least recently assigned first (fair)."""
    return [
        _row(r)
        for r in await fetch_all(
            db,
            "SELECT u.* FROM users u WHERE u.role = 'peer' AND u.pseudonym IS NOT NULL "
            "AND u.trained_at IS NOT NULL AND u.approved_at IS NOT NULL "  # the training gate
            "AND (u.duty = 'on' OR (u.duty = 'auto' AND :on_shift)) "
            "AND (SELECT COUNT(*) FROM cases c WHERE c.assignee_key = u.key "
            "     AND c.status = 'active') < :capacity "
            "AND u.key NOT IN (SELECT peer_key FROM case_excluded_peers WHERE case_id = :case_id) "
            "ORDER BY u.last_assigned_at IS NOT NULL, u.last_assigned_at, u.created_at",
            {"on_shift": int(on_shift), "capacity": capacity, "case_id": case_id},
        )
    ]


async def peers_on_duty(db: aiosqlite.Connection, on_shift: bool, case_id: int) -> int:
    """How many peers are on duty for this case, busy or not (available_peers without the
    capacity limit): 0 means nobody is on duty, not that everyone is busy."""
    row = await fetch_one(
        db,
        "SELECT COUNT(*) FROM users u WHERE u.role = 'peer' AND u.pseudonym IS NOT NULL "
        "AND u.trained_at IS NOT NULL AND u.approved_at IS NOT NULL "
        "AND u.unreachable_since IS NULL "
        "AND (u.duty = 'on' OR (u.duty = 'auto' AND :on_shift)) "
        "AND u.key NOT IN (SELECT peer_key FROM case_excluded_peers WHERE case_id = :case_id)",
        {"on_shift": int(on_shift), "case_id": case_id},
    )
    return int(row[0]) if row else 0


async def set_pseudonym(db: aiosqlite.Connection, key: UserKey, pseudonym: str) -> None:
    await db.execute("UPDATE users SET pseudonym = ? WHERE key = ?", (pseudonym, key.value))


async def pseudonym_suggestion(db: aiosqlite.Connection, name: str,
                               key: UserKey) -> str | None:
    """None when no other staff member has ``name`` as nickname (any case), else the first
    free "Bintang 2", "Bintang 3" ... spelt like the one taken (nicknames are unique within a
    school)."""
    rows = await fetch_all(
        db, "SELECT pseudonym FROM users WHERE role != 'student' AND key != ? "
        "AND (lower(pseudonym) = lower(?) OR lower(pseudonym) LIKE lower(?))",
        (key.value, name, name + " %"))
    same = [str(r["pseudonym"]) for r in rows if str(r["pseudonym"]).lower() == name.lower()]
    if not same:
        return None
    taken = {str(r["pseudonym"]).lower() for r in rows}
    return next(f"{same[0]} {n}" for n in range(2, len(taken) + 3)
                if f"{same[0]} {n}".lower() not in taken)


async def find_staff(db: aiosqlite.Connection, who: str) -> UserRow | None:
    """A staff member by display name, pseudonym or code (case-insensitive)."""
    rows = await fetch_all(
        db,
        "SELECT * FROM users WHERE role != 'student' AND (lower(display_name) = lower(:w) "
        "OR lower(pseudonym) = lower(:w) OR code = upper(:w))",
        {"w": who.strip().removeprefix("#")},  # "#K7Q2" as `sebaya staff list` shows it
    )
    return _row(rows[0]) if len(rows) == 1 else None


async def set_training(db: aiosqlite.Connection, key: UserKey, now: dt.datetime,
                       trained: bool = False, approved_by: str | None = None) -> None:
    """Record that a peer passed the training, or was approved (by a staff key, 'operator')."""
    if trained:
        await db.execute("UPDATE users SET trained_at = ? WHERE key = ?", (ts(now), key.value))
    if approved_by is not None:
        await db.execute("UPDATE users SET approved_at = ?, approved_by = ? WHERE key = ?",
                         (ts(now), approved_by, key.value))


async def set_duty(db: aiosqlite.Connection, key: UserKey, duty: str) -> None:
    await db.execute("UPDATE users SET duty = ? WHERE key = ?", (duty, key.value))


async def active_load(db: aiosqlite.Connection, key: UserKey) -> int:
    return (
        await fetch_one(
            db,
            "SELECT COUNT(*) FROM cases WHERE assignee_key = ? AND status = 'active'",
            (key.value,),
        )
    )[0]


async def staff(db: aiosqlite.Connection) -> list[UserRow]:
    return [
        _row(r)
        for r in await fetch_all(
            db, "SELECT * FROM users WHERE role != 'student' ORDER BY role, created_at"
        )
    ]


async def delete(db: aiosqlite.Connection, key: UserKey) -> None:
    """Remove the person (their conversation goes with them by cascade)."""
    await db.execute("DELETE FROM users WHERE key = ?", (key.value,))


async def mark_unreachable(db: aiosqlite.Connection, key: str, now: dt.datetime) -> bool:
    """Messages to this person fail for good; True when that is news."""
    cursor = await db.execute(
        "UPDATE users SET unreachable_since = ? WHERE key = ? AND unreachable_since IS NULL",
        (ts(now), key))
    return cursor.rowcount == 1


async def key_by_code(db: aiosqlite.Connection, code: str) -> UserKey | None:
    row = await fetch_one(db, "SELECT key FROM users WHERE code = ?", (code,))
    return UserKey(row[0]) if row else None


async def anyone_alertable(db: aiosqlite.Connection) -> bool:
    """Is there a counselor or backup contact the bot can reach (a crisis alert has somebody)?"""
    return await fetch_one(
        db, "SELECT 1 FROM users WHERE role IN ('counselor', 'backup') "
        "AND unreachable_since IS NULL LIMIT 1") is not None


async def set_unreachable(db: aiosqlite.Connection, key: UserKey, since: dt.datetime | None
                          ) -> None:
    """Messages to this person fail for good since ``since`` (None: they wrote again)."""
    await db.execute("UPDATE users SET unreachable_since = ? WHERE key = ?",
                     (ts(since) if since else None, key.value))
