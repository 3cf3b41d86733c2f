"""`sebaya doctor` and `sebaya audit` on PostgreSQL: the database side of bot/operations.py,
through the store.

The SQLite commands open the file read-only with sqlite3; here the same questions go through
the PostgreSQL store (the same SQL, the same safety invariants, bot/store/invariants.py, the
same wording: the checks and lines are built by bot/operations.py's shared functions). Backups
are PostgreSQL's own business: ``pg_dump`` (README: "Many schools").
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from bot.config import load_secret
from bot.core.identity import IdentityVault
from bot.errors import SebayaError
from bot.store.db import ts
from bot.store.invariants import violations
from bot.store.pg.store import PgStore, migrations

if TYPE_CHECKING:
    from bot.config import Config

BACKUP_HINT = ("the database is PostgreSQL: back it up with pg_dump -Fc DBNAME > FILE.dump "
               "(consistent while the bot runs; README: Many schools), and keep SEBAYA_SECRET "
               "apart from the dumps")


def backup_refused() -> SebayaError:
    return SebayaError(BACKUP_HINT)


async def audit_lines(config: Config, case: str | None, staff: str | None,
                      limit: int) -> list[str]:
    """`sebaya audit` on PostgreSQL: the same lines as on SQLite (bot/operations.py)."""
    from bot.operations import STAFF_SQL, WHO_SQL, audit_rendered, who_label

    url = config.database_url()
    assert url
    vault = IdentityVault(load_secret(config), config.school_id)
    store = await PgStore.open(url, vault, migrate=False, school=config.school_id)
    try:
        async with store.read() as db:
            sql, args = "SELECT at, actor_key, action, detail FROM audit", []
            if staff:
                found = await db.execute_fetchall(STAFF_SQL, (staff, staff, staff))
                if not found:
                    raise SebayaError(f"no staff member {staff!r} (see: sebaya staff list)")
                sql, args = sql + " WHERE actor_key = ?", [found[0][0]]
            rows = [tuple(r) for r in await db.execute_fetchall(sql + " ORDER BY id", args)]
            who = {}
            for key in {actor for _, actor, _, _ in rows if actor is not None}:
                row = await db.execute_fetchall(WHO_SQL, (key,))
                who[key] = who_label(tuple(row[0]) if row else None)
    finally:
        await store.close()
    return audit_rendered(config, rows, who, case, limit)


async def database_checks(url: str, secret: str, escalated: tuple[str, ...] = (),
                          config: Config | None = None, now: dt.datetime | None = None
                          ) -> list:
    """(ok, label, detail) checks of a PostgreSQL database, like the SQLite doctor's
    (``escalated``: the categories config.yaml escalates to TPPK)."""
    from bot.operations import (
        UNREACHABLE_SQL,
        WA_AUDIT_SQL,
        WA_HELD_SQL,
        WA_STAFF_SQL,
        WA_USERS_SQL,
        Check,
        counselors_on_check,
        reachable_check,
        wants_whatsapp,
        whatsapp_checks,
    )

    try:
        school = config.school_id if config else None
        vault = IdentityVault(secret.encode(), school) if secret else None
        store = await PgStore.open(url, vault, migrate=False, school=school)
    except SebayaError as exc:  # another secret
        return [Check(False, "secret matches the database", str(exc))]
    except Exception as exc:
        return [Check(False, "database", f"PostgreSQL unreachable: {type(exc).__name__}")]
    try:
        checks = []
        if secret:  # opening it checked the secret (another one: refused above)
            checks.append(Check(True, "secret matches the database", "yes"))
        version, latest = await store.schema_version(), migrations()[-1][0]
        checks.append(Check(version == latest, "database schema (PostgreSQL)",
                            f"version {version} of {latest}"))
        if not version:
            checks.append(Check(False, "database", "empty: start the bot once (it migrates)"))
            return checks
        async with store.read() as db:
            async def count(sql: str) -> int:
                return (await db.execute_fetchall(sql))[0][0]

            from bot.operations import secret_scheme
            from bot.store import keyring

            row = await keyring.read(db)
            checks.append(secret_scheme(None if row is None else (
                row.scheme, row.wrapped, row.origin, row.created_at, row.rotated_at)))
            if row is not None and secret:
                checks.append(Check(True, "secret matches the database", "yes"))

            collation = (await db.execute_fetchall(
                "SELECT datcollate FROM pg_database WHERE datname = current_database()"))[0][0]
            checks.append(Check(True, "database collation", collation + (
                "" if collation in ("C", "POSIX") else " (timestamps compare as C anyway)")))
            pending = await count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            checks.append(Check(pending < 100, "messages waiting to be sent", str(pending)))
            dead = await count("SELECT COUNT(*) FROM outbox WHERE status = 'dead'")
            checks.append(Check(dead == 0, "undeliverable messages (dead letters)", str(dead)))
            failed = await count("SELECT COUNT(*) FROM inbox WHERE status = 'failed'")
            checks.append(Check(failed == 0, "messages that failed to process", str(failed)))
            counselors = await count("SELECT COUNT(*) FROM users WHERE role = 'counselor'")
            checks.append(Check(counselors > 0, "counselors enrolled", str(counselors)
                                if counselors else "none: crisis alerts have nobody to reach "
                                "(sebaya staff invite --role counselor)"))
            off = await count("SELECT COUNT(*) FROM users WHERE role = 'counselor' "
                              "AND duty = 'off'")
            checks.append(counselors_on_check(counselors, off))
            if version >= 3 and escalated:  # told, never a PROBLEM: the ladder is BK's
                members = await count("SELECT COUNT(*) FROM users WHERE role = 'tppk'")
                checks.append(Check(True, "TPPK members", str(members) if members else
                                    f"none enrolled: {', '.join(escalated)} reach guru BK "
                                    "only (sebaya staff invite --role tppk)"))
            if version >= 3:
                waiting = await count("SELECT COUNT(*) FROM users WHERE role = 'peer' "
                                      "AND trained_at IS NOT NULL AND approved_at IS NULL")
                checks.append(Check(True, "peers trained, awaiting approval", str(waiting) + (
                    " (sebaya staff approve NAME, or /setujui NAME in chat)" if waiting
                    else "")))
            crises = await count("SELECT COUNT(*) FROM cases WHERE level = 'crisis' "
                                 "AND status = 'waiting'")
            checks.append(Check(crises == 0, "crises waiting for a counselor", str(crises)))
            checks.append(reachable_check([tuple(r) for r in await db.execute_fetchall(
                UNREACHABLE_SQL)]))
            workers = await count("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND query LIKE 'LISTEN%'")
            checks.append(Check(True, "workers listening", str(workers)))
            broken = [str(v) for v in await violations(db)]
            if config is not None and wants_whatsapp(config, await count(WA_USERS_SQL)):
                since = ts((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=7))
                audited = {action: [json.loads(r[0]) for r in await db.execute_fetchall(
                    WA_AUDIT_SQL, (action, since))] for action in (
                    "whatsapp_operator_error", "whatsapp_bad_signature", "message_dropped")}
                wa = whatsapp_checks(config, await count(WA_STAFF_SQL), audited.__getitem__,
                                     await count(WA_HELD_SQL))
            else:
                wa = []
        checks.append(Check(not broken, "safety invariants", "hold" if not broken
                            else "; ".join(broken[:5])))
        return checks + wa
    finally:
        await store.close()
