"""Operator commands: backup (SQLite online backup API), audit listing, and doctor checks."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.app import load_flow_bundle
from bot.config import SECRET_ENV, Config
from bot.core.identity import IdentityVault
from bot.engine.lint import lint_flow
from bot.errors import SebayaError
from bot.store.db import migrations, parse_ts, ts
from bot.store.invariants import violations_sync


def backup(config: Config, target: Path, overwrite: bool = True) -> int:
    """A consistent copy while the bot runs (pages copied under SQLite's own locking);
    returns the size in bytes. The secret is NOT copied: keep it separately. The copy is as
    private as the database: 0600, in a 0700 folder when this creates the folder. PostgreSQL
    is backed up with pg_dump instead (refused here with the command to use). An existing
    file is replaced only with ``overwrite``; a folder gets a dated file inside."""
    if config.database_url():
        from bot.operations_pg import backup_refused

        raise backup_refused()
    target = backup_target(target, dt.datetime.now(dt.UTC))
    if target.exists() and not overwrite:  # the CLI never overwrites one unasked
        raise SebayaError(f"{target} already exists: choose another name, or delete it first")
    try:
        if not target.parent.exists():
            target.parent.mkdir(parents=True, mode=0o700)
        _private_file(target)
    except OSError as exc:  # a file where a folder should be, no permission ...
        raise SebayaError(f"cannot write the backup to {target}: {exc.strerror}") from None
    source = sqlite3.connect(f"file:{config.database_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.close()
    finally:
        source.close()
    if check != "ok":
        raise SebayaError(f"backup integrity check failed: {check}")
    return target.stat().st_size


def backup_target(target: Path, now: dt.datetime, folder: bool = False) -> Path:
    """A folder (existing, or ``folder``: written with a trailing slash) gets a dated file
    inside."""
    if folder or target.is_dir():
        return target / f"sebaya-{now:%Y%m%d-%H%M%S}.sqlite3"
    return target


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 before SQLite writes to it (or make an existing one 0600)."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)  # an existing file keeps its mode on open; the umask may loosen none


def who_label(row: tuple | None) -> str:
    """How the audit names an actor, from (role, display_name, pseudonym, code, former_role)
    of their users row (None: deleted)."""
    if row is None:
        return "(deleted)"
    role, name, pseudonym, code, former = row
    if former and role == "student":  # removed staff keep their name for what they did
        return f"{former} {name or pseudonym or code} (removed)"
    return f"student #{code}" if role == "student" else f"{role} {name or pseudonym or code}"


WHO_SQL = "SELECT role, display_name, pseudonym, code, former_role FROM users WHERE key = ?"
STAFF_SQL = ("SELECT key FROM users WHERE (role != 'student' OR former_role IS NOT NULL) "
             "AND (lower(display_name) = lower(?) OR lower(pseudonym) = lower(?) "
             "OR code = upper(?))")


def audit_rendered(config: Config, rows: list[tuple], who: dict[str | None, str],
                   case: str | None, limit: int) -> list[str]:
    """The audit lines of (at, actor_key, action, detail) rows, newest last (both stores)."""
    code = case.strip().lstrip("#").upper() if case else None
    out = []
    for at, actor, action, detail in rows:
        details = json.loads(detail)
        if code and details.get("code") != code:
            continue
        when = parse_ts(at).astimezone(config.tz).strftime("%Y-%m-%d %H:%M")
        extra = " ".join(f"{k}={v}" for k, v in details.items())
        name = "system" if actor is None else who.get(actor, "(deleted)")
        out.append(f"{when}  {name:24} {action:24} {extra}".rstrip())
    return out[-limit:]


def audit_lines(config: Config, case: str | None = None, staff: str | None = None,
                limit: int = 200) -> list[str]:
    """Audit rows, newest last, optionally for one case code or one staff member."""
    if config.database_url():
        import asyncio

        from bot.operations_pg import audit_lines as pg_audit_lines

        return asyncio.run(pg_audit_lines(config, case, staff, limit))
    if not config.database_path.exists():  # a school that has not started yet: no rows
        return []
    conn = sqlite3.connect(f"file:{config.database_path}?mode=ro", uri=True)
    try:
        sql, args = "SELECT at, actor_key, action, detail FROM audit", []
        if staff:
            row = conn.execute(STAFF_SQL, (staff, staff, staff)).fetchone()
            if row is None:
                raise SebayaError(f"no staff member {staff!r} (see: sebaya staff list)")
            sql, args = sql + " WHERE actor_key = ?", [row[0]]
        rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        who = {key: who_label(conn.execute(WHO_SQL, (key,)).fetchone())
               for key in {actor for _, actor, _, _ in rows if actor is not None}}
        return audit_rendered(config, rows, who, case, limit)
    finally:
        conn.close()


@dataclass
class Check:
    ok: bool
    label: str
    detail: str = ""

    def render(self) -> str:
        return f"[{'ok' if self.ok else 'PROBLEM'}] {self.label}" + (
            f": {self.detail}" if self.detail else "")


def doctor(config: Config, now: dt.datetime | None = None) -> list[Check]:
    """Everything an operator should know before trusting the bot with students."""
    checks = [Check(True, "config.yaml", "valid")]
    try:
        bundle = load_flow_bundle(config)
        warnings = sum(len(lint_flow(f, bundle.catalog, tuple(config.languages.available)))
                       for f in bundle.flows.values())
        checks.append(Check(True, "flows and texts", f"{len(bundle.flows)} flow(s), "
                                                     f"{warnings} warning(s)"))
    except SebayaError as exc:
        checks.append(Check(False, "flows and texts", str(exc)))
    secret_file = config.database_path.with_name(config.database_path.name + ".secret")
    value = os.environ.get(SECRET_ENV, "").strip() or (
        secret_file.read_text(encoding="ascii").strip() if secret_file.exists() else "")
    problem = secret_problem(value)
    checks.append(Check(problem is None, "installation secret", problem or (
        f"{SECRET_ENV} (environment)" if os.environ.get(SECRET_ENV, "").strip()
        else f"{secret_file} (keep a copy with your backups)")))
    url = config.database_url()
    if url:  # PostgreSQL: the same questions through the store (bot/operations_pg.py)
        import asyncio

        from bot.operations_pg import database_checks

        return checks + asyncio.run(database_checks(
            url, value, tuple(sorted(config.escalation.categories)), config,
            now or dt.datetime.now(dt.UTC)))
    if not config.database_path.exists():
        checks.append(Check(False, "database", f"{config.database_path} does not exist yet "
                                               "(start the bot once)"))
        return checks
    conn = sqlite3.connect(f"file:{config.database_path}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        checks.append(Check(integrity == "ok", "database integrity", integrity))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        latest = migrations()[-1][0]
        checks.append(Check(version == latest, "database schema", f"version {version} of "
                                                                  f"{latest}"))
        stored = conn.execute("SELECT value FROM meta WHERE key = 'secret_fingerprint'"
                              ).fetchone() if version >= 8 else None
        row = conn.execute("SELECT scheme, wrapped, origin, created_at, rotated_at FROM "
                           "keyring WHERE id = 1").fetchone() if version >= 18 else None
        checks.append(secret_scheme(row))
        if value and row:
            same = opens(row[1], value)
        elif value and stored:
            same = stored[0] == IdentityVault(value.encode()).fingerprint()
        if value and (row or stored):
            checks.append(Check(same, "secret matches the database", "yes" if same else
                                "NO: this database was made with another secret; the bot will "
                                "refuse to start (restore the original secret)"))

        def count(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        pending = count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        checks.append(Check(pending < 100, "messages waiting to be sent", str(pending)))
        dead = count("SELECT COUNT(*) FROM outbox WHERE status = 'dead'")
        checks.append(Check(dead == 0, "undeliverable messages (dead letters)", str(dead)))
        failed = count("SELECT COUNT(*) FROM inbox WHERE status = 'failed'")
        checks.append(Check(failed == 0, "messages that failed to process", str(failed)))
        counselors = count("SELECT COUNT(*) FROM users WHERE role = 'counselor'")
        checks.append(Check(counselors > 0, "counselors enrolled", str(counselors) if counselors
                            else "none: crisis alerts have nobody to reach (sebaya staff "
                                 "invite --role counselor)"))
        off = count("SELECT COUNT(*) FROM users WHERE role = 'counselor' AND duty = 'off'")
        checks.append(counselors_on_check(counselors, off))
        if version >= 11 and config.escalation.categories:  # told, never a PROBLEM: the
            members = count("SELECT COUNT(*) FROM users WHERE role = 'tppk'")  # ladder is BK's
            kinds = ", ".join(sorted(config.escalation.categories))
            checks.append(Check(True, "TPPK members", str(members) if members else
                                f"none enrolled: {kinds} reach guru BK only (sebaya staff "
                                "invite --role tppk)"))
        if version >= 12:
            waiting = count("SELECT COUNT(*) FROM users WHERE role = 'peer' "
                            "AND trained_at IS NOT NULL AND approved_at IS NULL")
            checks.append(Check(True, "peers trained, awaiting approval", str(waiting) + (
                " (sebaya staff approve NAME, or /setujui NAME in chat)" if waiting else "")))
        open_crises = count("SELECT COUNT(*) FROM cases WHERE level = 'crisis' "
                            "AND status = 'waiting'")
        checks.append(Check(open_crises == 0, "crises waiting for a counselor", str(open_crises)))
        checks.append(reachable_check(conn.execute(UNREACHABLE_SQL).fetchall()))
        broken = [str(v) for v in violations_sync(conn)]
        checks.append(Check(not broken, "safety invariants", "hold" if not broken
                            else "; ".join(broken[:5])))
        if wants_whatsapp(config, count(WA_USERS_SQL)):
            checks += _whatsapp(config, conn, now or dt.datetime.now(dt.UTC))
    finally:
        conn.close()
    return checks


def counselors_on_check(counselors: int, off: int) -> Check:
    return Check(off < counselors or counselors == 0, "counselors not switched off",
                 f"{counselors - off} of {counselors}")


UNREACHABLE_SQL = ("SELECT role, COALESCE(display_name, pseudonym, code), unreachable_since "
                   "FROM users WHERE role != 'student' AND unreachable_since IS NOT NULL "
                   "ORDER BY role")


def reachable_check(unreachable: list[tuple]) -> Check:
    """From (role, name, since) of the staff whose chat failed for good."""
    return Check(not unreachable, "staff the bot can reach", "all" if not unreachable
                 else "; ".join(f"{name} ({role}) unreachable since {since[:16]}Z: blocked "
                                "the bot or deleted the chat? alerts skip them"
                                for role, name, since in unreachable))


WA_USERS_SQL = "SELECT COUNT(*) FROM users WHERE channel = 'whatsapp'"
WA_STAFF_SQL = "SELECT COUNT(*) FROM users WHERE role != 'student' AND channel = 'whatsapp'"
WA_AUDIT_SQL = "SELECT detail FROM audit WHERE action = ? AND at >= ? ORDER BY id"
WA_HELD_SQL = "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND last_error = 'held'"


def wants_whatsapp(config: Config, wa_users: int) -> bool:
    return bool(config.whatsapp is not None or os.environ.get("WHATSAPP_PHONE_NUMBER_ID")
                or wa_users)


def _whatsapp(config: Config, conn: sqlite3.Connection, now: dt.datetime) -> list[Check]:
    since = ts(now - dt.timedelta(days=7))

    def audited(action: str) -> list[dict]:
        return [json.loads(d) for (d,) in conn.execute(WA_AUDIT_SQL, (action, since))]

    return whatsapp_checks(config, conn.execute(WA_STAFF_SQL).fetchone()[0], audited,
                           conn.execute(WA_HELD_SQL).fetchone()[0])


def whatsapp_checks(config: Config, staff: int, audited, held: int) -> list[Check]:
    """WhatsApp: staff an alert cannot reach outside their 24-hour window, what Meta said
    needs the operator (expired token, blocked number, template errors), refused webhook
    deliveries, and messages waiting for a person to write (``audited(action)``: the
    details of that action's audit rows of the last 7 days)."""
    checks = []
    templates = config.whatsapp.templates if config.whatsapp is not None else {}
    missing = [p for p in ("alert", "notice") if p not in templates]
    checks.append(Check(not staff or not missing, "whatsapp alert template",
                        f"{staff} staff member(s) on WhatsApp; templates: "
                        f"{', '.join(sorted(templates)) or 'none'}" if not missing
                        else f"{staff} staff member(s) can only be reached on WhatsApp and no "
                             f"{' or '.join(missing)} template is configured: after 24 hours "
                             "of silence a crisis alert to one of them cannot go (the ladder "
                             "skips them) and a student's message waits unannounced. Add "
                             "whatsapp.templates (README: WhatsApp)"))
    codes = sorted({str(d.get("code")) for d in audited("whatsapp_operator_error")})
    checks.append(Check(not codes, "whatsapp errors for the operator (7 days)",
                        "none" if not codes else f"Meta error code(s) {', '.join(codes)}: 190 "
                        "token expired, 368 number restricted, 131031 account locked, 132xxx "
                        "template problem (see the log and WhatsApp Manager)"))
    refused = audited("whatsapp_bad_signature")
    checks.append(Check(not refused, "whatsapp webhook signatures (7 days)",
                        "all valid" if not refused else f"{len(refused)} refused: if Meta's "
                        "deliveries are among them, WHATSAPP_APP_SECRET is wrong"))
    dropped = len(audited("message_dropped"))
    checks.append(Check(True, "whatsapp messages waiting for a reply window",
                        f"{held} waiting, {dropped} dropped in 7 days"))
    return checks


def opens(wrapped: str, secret: str) -> bool:
    """Does ``secret`` unwrap this database's root key?"""
    from bot.core.keyring import WrongSecret

    try:
        IdentityVault(secret.encode()).unlock(wrapped)
    except WrongSecret:
        return False
    return True


def secret_scheme(row: tuple | None) -> Check:
    """Which secret scheme the database uses (the keyring row of migration 018, if any)."""
    if row is None:
        return Check(True, "secret scheme", "before envelope keys: every key derives from "
                     "the secret itself, which cannot be changed; start the bot once (or "
                     "sebaya migrate) to add the keyring, then sebaya secret rotate works")
    scheme, _wrapped, origin, created, rotated = row[:5]
    where = ("root key kept from the secret this database was made with (made before "
             "envelope keys)" if origin == "legacy" else "random root key")
    return Check(True, "secret scheme", f"{scheme}: {where}, wrapped under the secret since "
                 f"{created[:10]}; " + (f"secret last rotated {rotated[:16]}Z" if rotated
                                        else "secret never rotated"))


PLACEHOLDERS = ("change-me", "changeme", "change-me-long-random", "a long random string",
                "kalimat acak yang panjang", "secret", "password", "sebaya")


def secret_problem(value: str) -> str | None:
    """What is wrong with an installation secret, or None (long, random-looking, not a
    placeholder copied from the README)."""
    if not value:
        return f"{SECRET_ENV} is not set and there is no secret file (start the bot once)"
    if value.casefold() in PLACEHOLDERS or any(p in value.casefold() for p in PLACEHOLDERS[:5]):
        return "it is a placeholder from the documentation: use e.g. openssl rand -base64 48"
    if len(value) < 32 or len(set(value)) < 10:
        return (f"too short or too simple ({len(value)} characters, {len(set(value))} "
                "different): use e.g. openssl rand -base64 48")
    return None
