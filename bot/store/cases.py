"""Cases: a student's story handed to humans, the messages that join it, claims and closing."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import aiosqlite

from bot.core.conversation import CaseRecord, CaseView, NoteView
from bot.core.keys import UserKey
from bot.store.db import fetch_all, fetch_one, ts

_SELECT = (
    "SELECT c.id, c.code, c.route, c.status, c.level, c.student_key, c.assignee_key, "
    "c.category, s.alias AS alias, s.lang AS lang, a.display_name AS assignee_name, "
    "a.pseudonym AS assignee_pseudonym, c.topic, c.weight, "
    "json_extract(unseal(c.intake), '$.story') AS story, c.opened_at, c.risk_rules, c.crisis_at "
    "FROM cases c LEFT JOIN users s ON s.key = c.student_key "
    "LEFT JOIN users a ON a.key = c.assignee_key "
)


def _view(
    row: aiosqlite.Row, recent: tuple[tuple[str, str], ...] = (), offered: tuple[UserKey, ...] = ()
) -> CaseView:
    return CaseView(
        row["id"],
        row["code"],
        row["route"],
        row["status"],
        row["level"],
        UserKey(row["student_key"]),
        row["alias"] or "",
        UserKey(row["assignee_key"]) if row["assignee_key"] else None,
        row["assignee_pseudonym"] or row["assignee_name"],
        row["category"],
        row["lang"] or "",
        recent,
        row["topic"],
        row["weight"],
        row["story"] or "",
        offered,
        row["opened_at"],
        tuple(json.loads(row["risk_rules"] or "[]")),
        crisis_at=row["crisis_at"] or "",
    )


async def _one(db: aiosqlite.Connection, where: str, args: tuple) -> CaseView | None:
    row = await fetch_one(db, _SELECT + where + " ORDER BY c.id DESC LIMIT 1", args)
    return _view(row) if row else None


async def open_for(db: aiosqlite.Connection, student: UserKey) -> CaseView | None:
    """The student's case that is not closed yet, if any."""
    return await _one(db, "WHERE c.student_key = ? AND c.status != 'closed'", (student.value,))


async def held_by(db: aiosqlite.Connection, staff: UserKey) -> tuple[CaseView, ...]:
    """The active cases a staff member holds, the most recently claimed first, each with when
    its student last wrote."""
    rows = await fetch_all(
        db, _SELECT.replace(" FROM cases c", ", (SELECT MAX(m.at) FROM case_messages m WHERE "
                            "m.case_id = c.id AND m.sender = 'student') AS last_student_at "
                            "FROM cases c", 1)
        + "WHERE c.assignee_key = ? AND c.status = 'active' "
        "ORDER BY c.claimed_at DESC, c.id DESC", (staff.value,))
    return tuple(replace(_view(r), last_student_at=r["last_student_at"] or "") for r in rows)


async def open_by_code(
    db: aiosqlite.Connection, code: str, with_recent: int = 0
) -> CaseView | None:
    """The open case of the student with this code, with its last messages and the peers
    holding an open offer of it."""
    case = await _one(db, "WHERE c.code = ? AND c.status != 'closed'", (code,))
    if case is None:
        return None
    return await by_id(db, case.id, with_recent)


UNRELAYED_SHOWN = 200  # a take-over or digest shows every waiting message (up to this many)


async def by_id(db: aiosqlite.Connection, case_id: int, with_recent: int = 0) -> CaseView | None:
    """The case with its open offers and the student messages its helper has not got; with
    ``with_recent``, also its last messages."""
    row = await fetch_one(db, _SELECT + "WHERE c.id = ?", (case_id,))
    if row is None:
        return None
    recent: tuple[tuple[str, str], ...] = ()
    if with_recent:
        recent = tuple(
            (r["sender"], r["text"])
            for r in await fetch_all(
                db,
                "SELECT sender, unseal(text) AS text FROM (SELECT id, sender, text "
                "FROM case_messages "
                "WHERE case_id = ? ORDER BY id DESC LIMIT ?) AS recent ORDER BY id",
                (case_id, with_recent),
            )
        )
    offered = tuple(
        UserKey(r[0])
        for r in await fetch_all(
            db, "SELECT peer_key FROM offers WHERE case_id = ? AND status = 'open'", (case_id,)
        )
    )
    waiting = await fetch_all(
        db,
        "SELECT unseal(text) AS text, COUNT(*) OVER () AS total FROM case_messages "
        "WHERE case_id = ? "
        "AND sender = 'student' AND relayed = 0 ORDER BY id DESC LIMIT ?",
        (case_id, UNRELAYED_SHOWN),
    )
    return replace(_view(row, recent, offered),
                   unrelayed=tuple(r["text"] for r in reversed(waiting)),
                   unrelayed_total=waiting[0]["total"] if waiting else 0)


async def mark_relayed(db: aiosqlite.Connection, case_id: int) -> None:
    """The case's helper now has every student message of it."""
    await db.execute(
        "UPDATE case_messages SET relayed = 1 WHERE case_id = ? AND relayed = 0", (case_id,))


async def _unrelay(db: aiosqlite.Connection, case_id: int, keep: UserKey | None = None) -> None:
    """A new helper will hold the case: what the student wrote is news to them, and copies
    still queued for the previous helper (anyone but ``keep``) are not sent any more."""
    await db.execute(
        "UPDATE case_messages SET relayed = 0 WHERE case_id = ? AND sender = 'student'",
        (case_id,))
    await db.execute(
        "DELETE FROM outbox WHERE status = 'pending' AND audience = 'helper' "
        "AND case_code = (SELECT code FROM cases WHERE id = ?) AND recipient_key IS NOT ?",
        (case_id, keep.value if keep else None))


async def latest_by_code(
    db: aiosqlite.Connection, code: str, with_recent: int = 0
) -> CaseView | None:
    """The student's most recent case, open or closed (supervisors read transcripts)."""
    case = await _one(db, "WHERE c.code = ?", (code.strip().lstrip("#").upper(),))
    return await by_id(db, case.id, with_recent) if case else None


_NAME = "COALESCE(u.pseudonym, u.display_name, u.code)"
_ROLE = "COALESCE(u.former_role, u.role)"


async def history(db: aiosqlite.Connection, code: str) -> tuple[CaseRecord, ...]:
    """Every case of the student with this code, oldest first, with its story, notes, closing
    note and rating (for guru BK's /lihat). A removed staff member keeps their name here."""
    code = code.strip().lstrip("#").upper()
    rows = await fetch_all(
        db,
        f"SELECT c.id, c.route, c.level, c.status, c.topic, c.weight, c.opened_at, c.closed_at, "
        f"c.category, c.risk_rules, json_extract(unseal(c.intake), '$.story') AS story, "
        f"unseal(c.outcome_note) AS outcome_note, c.closed_by, c.student_key, "
        f"{_NAME} AS helper, s.score, unseal(s.comment) AS comment FROM cases c "
        f"LEFT JOIN users u ON u.key = COALESCE(c.assignee_key, c.closed_by) "
        f"LEFT JOIN surveys s ON s.case_id = c.id WHERE c.code = ? ORDER BY c.id", (code,))
    if not rows:
        return ()
    ids = tuple(r["id"] for r in rows)
    marks = ",".join("?" * len(ids))
    notes: dict[int, list[NoteView]] = {}
    for n in await fetch_all(
            db, f"SELECT n.case_id, n.at, unseal(n.text) AS text, {_NAME} AS name, "
            f"{_ROLE} AS role FROM staff_notes n LEFT JOIN users u ON u.key = n.author_key "
            f"WHERE n.case_id IN ({marks}) ORDER BY n.id", ids):
        notes.setdefault(n["case_id"], []).append(
            NoteView(n["name"] or "", n["role"] or "", n["at"], n["text"] or ""))
    closers = {r["closed_by"] for r in rows if r["closed_by"]}
    who = {k: (name or "", role or "") for k, name, role in await fetch_all(
        db, f"SELECT u.key, {_NAME}, {_ROLE} FROM users u WHERE u.key IN "
        f"({','.join('?' * len(closers))})", tuple(closers))} if closers else {}
    out = []
    for number, r in enumerate(rows, 1):
        closing = None
        if r["status"] == "closed":
            name, role = who.get(r["closed_by"] or "", ("", "system"))
            if r["closed_by"] == r["student_key"]:
                name, role = "", "student"
            closing = NoteView(name, role, r["closed_at"] or "", r["outcome_note"] or "")
        out.append(CaseRecord(
            r["id"], number, r["route"], r["level"], r["status"], r["topic"], r["weight"],
            r["opened_at"], r["story"] or "", r["category"],
            tuple(json.loads(r["risk_rules"] or "[]")), r["helper"] or "",
            r["closed_at"] or "", closing, tuple(notes.get(r["id"], ())), r["score"],
            r["comment"] or ""))
    return tuple(out)


async def supervision(db: aiosqlite.Connection, since: dt.datetime) -> list[CaseView]:
    """Open cases, and cases closed since ``since``, newest first (for /kasus)."""
    return [
        _view(r)
        for r in await fetch_all(
            db,
            _SELECT + "WHERE c.status != 'closed' OR c.closed_at >= ? "
            "ORDER BY c.status = 'closed', c.opened_at DESC LIMIT 30",
            (ts(since),),
        )
    ]


async def oldest_unoffered(db: aiosqlite.Connection) -> UserKey | None:
    """The student of the oldest waiting peer case nobody is being offered right now."""
    row = await fetch_one(
        db,
        "SELECT student_key FROM cases AS c WHERE status = 'waiting' AND route = 'peer' "
        "AND NOT EXISTS (SELECT 1 FROM offers AS o WHERE o.case_id = c.id "
        "AND o.status = 'open') ORDER BY id LIMIT 1",
        (),
    )
    return UserKey(row[0]) if row else None


async def queue_position(db: aiosqlite.Connection, case_id: int) -> int:
    return (
        await fetch_one(
            db,
            "SELECT COUNT(*) FROM cases WHERE status = 'waiting' AND route = 'peer' AND id <= ?",
            (case_id,),
        )
    )[0]


async def take_over(
    db: aiosqlite.Connection, case_id: int, staff: UserKey, now: dt.datetime
) -> None:
    await db.execute(
        "UPDATE cases SET route = 'counselor', status = 'active', assignee_key = ?, "
        "claimed_at = COALESCE(claimed_at, ?) WHERE id = ?",
        (staff.value, ts(now), case_id),
    )
    await db.execute(
        "UPDATE offers SET status = 'closed' WHERE case_id = ? AND status = 'open'", (case_id,)
    )
    await _unrelay(db, case_id, keep=staff)


async def create(
    db: aiosqlite.Connection,
    student: UserKey,
    code: str,
    route: str,
    topic: str,
    weight: int,
    intake: dict,
    now: dt.datetime,
    level: str = "normal",
    category: str | None = None,
    rules: tuple[str, ...] = (),
) -> int:
    cursor = await db.execute(
        "INSERT INTO cases (student_key, code, route, topic, weight, intake, opened_at, level, "
        "category, risk_rules, crisis_at) VALUES (?, ?, ?, ?, ?, seal(?), ?, ?, ?, ?, ?)",
        (
            student.value,
            code,
            route,
            topic,
            weight,
            json.dumps(intake, ensure_ascii=False),
            ts(now),
            level,
            category,
            json.dumps(list(rules)),
            ts(now) if level == "crisis" else None,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def escalate(
    db: aiosqlite.Connection, case_id: int, category: str, rules: tuple[str, ...], now: dt.datetime
) -> None:
    """Make a case a crisis for guru BK: unassigned again, waiting for a counselor."""
    await db.execute(
        "UPDATE cases SET level = 'crisis', route = 'counselor', status = 'waiting', "
        "assignee_key = NULL, category = ?, risk_rules = ?, crisis_at = ? WHERE id = ?",
        (category, json.dumps(list(rules)), ts(now), case_id),
    )
    await _unrelay(db, case_id)


async def flag(db: aiosqlite.Connection, case_id: int, rules: tuple[str, ...]) -> None:
    """Record concern-level signals on a case (they inform routing and reports)."""
    row = await fetch_one(db, "SELECT risk_rules FROM cases WHERE id = ?", (case_id,))
    merged = sorted(set(json.loads(row[0])) | set(rules)) if row else list(rules)
    await db.execute(
        "UPDATE cases SET risk_rules = ?, level = CASE WHEN level = 'normal' "
        "THEN 'concern' ELSE level END WHERE id = ?",
        (json.dumps(merged), case_id),
    )


async def claim(db: aiosqlite.Connection, case_id: int, staff: UserKey, now: dt.datetime) -> bool:
    """Take a waiting case; False when somebody else was first (the check and the write are one
    statement inside the event's transaction, so two presses can never both win)."""
    cursor = await db.execute(
        "UPDATE cases SET status = 'active', assignee_key = ?, claimed_at = ? "
        "WHERE id = ? AND status = 'waiting'",
        (staff.value, ts(now), case_id),
    )
    if cursor.rowcount != 1:
        return False
    await db.execute("UPDATE users SET last_assigned_at = ? WHERE key = ?", (ts(now), staff.value))
    await db.execute(
        "UPDATE offers SET status = CASE WHEN peer_key = ? THEN 'accepted' "
        "ELSE 'closed' END WHERE case_id = ? AND status = 'open'",
        (staff.value, case_id),
    )
    return True


async def offer(
    db: aiosqlite.Connection,
    case_id: int,
    peers: tuple[UserKey, ...],
    round_: int,
    now: dt.datetime,
) -> None:
    for peer in peers:
        await db.execute(
            "INSERT OR IGNORE INTO offers (case_id, peer_key, round, created_at) "
            "VALUES (?, ?, ?, ?)",
            (case_id, peer.value, round_, ts(now)),
        )


async def requeue(
    db: aiosqlite.Connection, case_id: int, exclude: UserKey | None, route: str | None
) -> None:
    await db.execute(
        "UPDATE cases SET status = 'waiting', assignee_key = NULL, "
        "route = COALESCE(?, route) WHERE id = ?",
        (route, case_id),
    )
    await _unrelay(db, case_id)
    await db.execute(
        "UPDATE offers SET status = 'closed' WHERE case_id = ? AND status = 'open'", (case_id,)
    )
    if exclude is not None:
        await db.execute(
            "INSERT OR IGNORE INTO case_excluded_peers (case_id, peer_key) VALUES (?, ?)",
            (case_id, exclude.value),
        )


async def record_survey(
    db: aiosqlite.Connection, case_id: int, score: int | None, comment: str | None, now: dt.datetime
) -> None:
    """The first score counts (a second press changes nothing); a comment is added after."""
    if score is not None:
        await db.execute(
            "INSERT OR IGNORE INTO surveys (case_id, route, topic, score, at) "
            "SELECT id, route, topic, ?, ? FROM cases WHERE id = ?",
            (score, ts(now), case_id),
        )
    if comment is not None:
        await db.execute("UPDATE surveys SET comment = seal(?) WHERE case_id = ?",
                         (comment, case_id))


async def add_note(
    db: aiosqlite.Connection, case_id: int, author: UserKey, text: str, now: dt.datetime
) -> None:
    await db.execute(
        "INSERT INTO staff_notes (case_id, author_key, text, at) VALUES (?, ?, seal(?), ?)",
        (case_id, author.value, text, ts(now)),
    )


async def close(
    db: aiosqlite.Connection, case_id: int, staff: UserKey, note: str, now: dt.datetime
) -> None:
    await db.execute(
        "UPDATE cases SET status = 'closed', closed_at = ?, closed_by = ?, outcome_note = seal(?) "
        "WHERE id = ?",
        (ts(now), staff.value, note, case_id),
    )
    await db.execute(
        "UPDATE offers SET status = 'closed' WHERE case_id = ? AND status = 'open'", (case_id,)
    )


async def add_message(
    db: aiosqlite.Connection, case_id: int, sender: str, text: str, now: dt.datetime,
    relayed: bool = True,
) -> None:
    await db.execute(
        "INSERT INTO case_messages (case_id, sender, text, at, relayed) "
        "VALUES (?, ?, seal(?), ?, ?)",
        (case_id, sender, text, ts(now), int(relayed)),
    )


async def has_open_crisis(db: aiosqlite.Connection, student: UserKey) -> bool:
    return (
        await fetch_one(
            db,
            "SELECT 1 FROM cases WHERE student_key = ? AND level = 'crisis' "
            "AND status != 'closed' LIMIT 1",
            (student.value,),
        )
        is not None
    )


async def delete_for_student(db: aiosqlite.Connection, student: UserKey) -> int:
    """Delete a student's cases except open crisis records (kept for their safety). A survey
    keeps its 1-5 score for the programme's figures, without its comment and without any link
    left to the student (its case row is gone)."""
    await db.execute(
        "UPDATE surveys SET comment = NULL WHERE case_id IN (SELECT id FROM cases "
        "WHERE student_key = ?)",
        (student.value,),
    )
    cursor = await db.execute(
        "DELETE FROM cases WHERE student_key = ? AND NOT (level = 'crisis' AND status != 'closed')",
        (student.value,),
    )
    return cursor.rowcount
