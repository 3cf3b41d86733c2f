"""`sebaya doctor` on PostgreSQL: the database checks of bot/operations.py, through the store.

The SQLite doctor opens the file read-only with sqlite3; here the same questions go through
the PostgreSQL store (and the same safety invariants, bot/store/invariants.py). Backups are
PostgreSQL's own business: ``pg_dump`` (README: "Many schools").
"""

from __future__ import annotations

from bot.core.identity import IdentityVault
from bot.errors import SebayaError
from bot.store.invariants import violations
from bot.store.pg.store import PgStore, migrations

BACKUP_HINT = ("the database is PostgreSQL: back it up with pg_dump -Fc DBNAME > FILE.dump "
               "(consistent while the bot runs; README: Many schools), and keep SEBAYA_SECRET "
               "apart from the dumps")


def backup_refused() -> SebayaError:
    return SebayaError(BACKUP_HINT)


async def database_checks(url: str, secret: str, escalated: tuple[str, ...] = ()) -> list:
    """(ok, label, detail) checks of a PostgreSQL database, like the SQLite doctor's
    (``escalated``: the categories config.yaml escalates to TPPK)."""
    from bot.operations import Check

    try:
        store = await PgStore.open(url, IdentityVault(secret.encode()) if secret else None,
                                   migrate=False)
    except SebayaError as exc:  # another secret
        return [Check(False, "secret matches the database", str(exc))]
    except Exception as exc:
        return [Check(False, "database", f"PostgreSQL unreachable: {type(exc).__name__}")]
    try:
        checks = []
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
            workers = await count("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND query LIKE 'LISTEN%'")
            checks.append(Check(True, "workers listening", str(workers)))
            broken = [str(v) for v in await violations(db)]
        checks.append(Check(not broken, "safety invariants", "hold" if not broken
                            else "; ".join(broken[:5])))
        return checks
    finally:
        await store.close()
