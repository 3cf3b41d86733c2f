"""The safety promise as checks over the database, run after every event in the dialog tests,
the fuzzers and the chaos benches.

1. Every open case reaches a human: it is held by a staff member who may hold it, or a pending
   timer will bring it to one (an offer round for a peer case, the ladder for guru BK's).
2. Every open crisis case has a taker (guru BK or backup) or a live ladder timer.
3. Every student message on a held case has reached its helper (a copy is queued or sent), or a
   digest of the waiting ones is pending.
4. No queued message of a case goes to anyone outside it: the case's words to the student go to
   that student, to the helper only to the one holding it now.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bot.core.core import DIGEST_TIMER
from bot.core.crisis import LADDER_TIMER
from bot.core.handoff import OFFER_TIMER
from bot.core.requeue import REQUEUED_TIMER
from bot.store.db import fetch_all

# A pending `requeued` timer counts: `sebaya staff remove` (another process) sets it, and the
# bot restarts the case's offers or ladder from it within seconds (bot/core/requeue.py).
MAY_HOLD = {"peer": ("peer",), "counselor": ("counselor", "backup")}


@dataclass(frozen=True)
class Violation:
    rule: str  # which promise: unreached | crisis_untaken | unrelayed | misaddressed
    code: str  # the student's case code (never a name or an id)
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} #{self.code}: {self.detail}"


_UNREACHED = """
SELECT c.code, c.route, c.status, c.level, a.role AS holder_role,
       EXISTS (SELECT 1 FROM timers t WHERE t.owner_key = c.student_key
               AND (t.kind = CASE c.route WHEN 'peer' THEN :offer ELSE :ladder END
                    OR t.kind = :requeued)) AS timer
FROM cases c LEFT JOIN users a ON a.key = c.assignee_key
WHERE c.status != 'closed'
"""

_UNRELAYED = """
SELECT c.code, COUNT(*) AS waiting FROM cases c JOIN case_messages m ON m.case_id = c.id
WHERE c.status = 'active' AND m.sender = 'student' AND m.relayed = 0
  AND NOT EXISTS (SELECT 1 FROM timers t WHERE t.owner_key = c.student_key AND t.kind = :digest)
GROUP BY c.id, c.code
"""

_MISADDRESSED = """
SELECT o.id, o.case_code AS code, o.audience FROM outbox o
JOIN cases c ON c.code = o.case_code AND c.status != 'closed'
WHERE o.status = 'pending' AND (
  (o.audience = 'student' AND o.recipient_key != c.student_key)
  OR (o.audience = 'helper' AND o.recipient_key IS NOT c.assignee_key))
"""


def _held_by_right_person(row) -> bool:
    return row["status"] == "active" and row["holder_role"] in MAY_HOLD[row["route"]]


_PARAMS = {"offer": OFFER_TIMER, "ladder": LADDER_TIMER, "digest": DIGEST_TIMER,
           "requeued": REQUEUED_TIMER}


async def violations(db: aiosqlite.Connection) -> list[Violation]:
    """Every broken promise right now (empty when all hold)."""
    return _judge(await fetch_all(db, _UNREACHED, _PARAMS),
                  await fetch_all(db, _UNRELAYED, _PARAMS), await fetch_all(db, _MISADDRESSED))


def violations_sync(conn: sqlite3.Connection) -> list[Violation]:
    """The same checks on a plain sqlite3 connection (``sebaya doctor``, the chaos benches)."""
    conn.row_factory = sqlite3.Row
    return _judge(conn.execute(_UNREACHED, _PARAMS).fetchall(),
                  conn.execute(_UNRELAYED, _PARAMS).fetchall(),
                  conn.execute(_MISADDRESSED).fetchall())


def _judge(unreached, unrelayed, misaddressed) -> list[Violation]:
    found: list[Violation] = []
    for row in unreached:
        held = _held_by_right_person(row)
        if row["level"] == "crisis" and row["route"] != "counselor":
            found.append(Violation("crisis_untaken", row["code"], "crisis case routed to a peer"))
        elif row["level"] == "crisis" and not held and not row["timer"]:
            found.append(Violation("crisis_untaken", row["code"],
                                   f"{row['status']}, holder role {row['holder_role']}, "
                                   "no ladder timer"))
        elif not held and not row["timer"]:
            found.append(Violation("unreached", row["code"],
                                   f"{row['route']} case {row['status']}, holder role "
                                   f"{row['holder_role']}, no {row['route']} timer"))
    for row in unrelayed:
        found.append(Violation("unrelayed", row["code"],
                               f"{row['waiting']} student message(s) not relayed, no digest"))
    for row in misaddressed:
        found.append(Violation("misaddressed", row["code"],
                               f"outbox {row['id']} for the {row['audience']} goes elsewhere"))
    return found
