"""Which held case a staff member's message or command is for. Never a guess.

In this order: the case of the message they replied to (a reply to a message of a case that has
ended, or is not theirs, is refused, never sent elsewhere); a case code given with the command
(``/selesai #K7Q2 …``; a code they do not hold is refused); the only case they hold; the case
chosen with ``/ke KODE`` or a case button, until another of their students writes. Otherwise the
bot asks with one button per case and keeps the message; several waiting messages are asked
about one by one, each with a preview. A kept message or command is stamped with when it was
kept, the cases held then and its own number (in its buttons): it goes only to the case chosen
by a button of its own question, and only while fresh (bot/core/held.py drops it otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.core.conversation import CaseView, Conversation, Turn
from bot.core.events import Button

PICK_PREFIX = "h:pick:"  # "this message / command is for case CODE"
FOCUS = "focus"  # conversation variable: {"code": ..., "at": ...}, set by /ke or a case button
PENDING = "pending"  # conversation variable: messages and commands waiting for a case
CODE = re.compile(r"#?([A-Z2-9]{4})")  # a case code as typed
PREVIEW = 60
HOLD_FOR = dt.timedelta(minutes=10)  # how long a kept message may wait for its case
SEQ = "_pick_seq"  # conversation variable: the last kept item's number (never reused)
LAST = "last_case"  # conversation variable: the code of the case last written to or chosen


@dataclass(frozen=True)
class Choice:
    case: CaseView | None = None  # the case, when it is clear
    refusal: str = ""  # a text key when the turn names a case it may not act on
    code: str = ""  # the code it named


def code_argument(turn: Turn, args: str) -> tuple[str, str]:
    """("#K7Q2 sudah aman" -> ("K7Q2", "sudah aman")): a first word that is a case code, held
    or not (``#`` always means a code; a bare word only when held or when it has a digit)."""
    head, _, rest = args.strip().partition(" ")
    match = CODE.fullmatch(head)
    if match is None:
        return "", args.strip()
    code = match.group(1)
    held = any(case.code == code for case in turn.held)
    if head.startswith("#") or held or any(c.isdigit() for c in code):
        return code, rest.strip()
    return "", args.strip()


def choose(turn: Turn, code: str = "", use_focus: bool = True) -> Choice:
    held = {case.code: case for case in turn.held}
    if turn.replying:
        if turn.reply_code:
            if turn.reply_code in held:
                return Choice(held[turn.reply_code])
            return Choice(refusal="staff.reply_not_held", code=turn.reply_code)
        if code:
            return Choice(held[code]) if code in held else Choice(
                refusal="staff.not_your_case", code=code)
        return Choice(turn.held[0]) if len(turn.held) == 1 else Choice()
    if code:
        return Choice(held[code]) if code in held else Choice(refusal="staff.not_your_case",
                                                               code=code)
    if len(turn.held) == 1:
        return Choice(turn.held[0])
    if use_focus:
        focused = _focused(turn)
        if focused is not None:
            return Choice(focused)
    return Choice()


def _focused(turn: Turn) -> CaseView | None:
    """The /ke case, unless another held case's student wrote since it was chosen."""
    mark = turn.conversation.vars.get(FOCUS) or {}
    if not isinstance(mark, dict):
        return None
    case = next((c for c in turn.held if c.code == mark.get("code")), None)
    since = str(mark.get("at", ""))
    if case is None:
        return None
    for other in turn.held:
        if other.code != case.code and other.last_student_at and _later(other.last_student_at,
                                                                         since):
            return None  # someone else is waiting too: ask rather than assume
    return case


def _later(stored: str, iso: str) -> bool:
    try:
        left = dt.datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        return left > dt.datetime.fromisoformat(iso)
    except ValueError:
        return True


def focused_on(conv: Conversation, code: str, now: dt.datetime) -> Conversation:
    return conv.moved(vars={**conv.vars, FOCUS: {"code": code, "at": now.isoformat()},
                            LAST: code})


def wrote_to(conv: Conversation, code: str) -> Conversation:
    """The case a staff member last wrote to (or chose) is now ``code``."""
    return conv if conv.vars.get(LAST) == code else conv.moved(vars={**conv.vars, LAST: code})


def gone_last(turn: Turn) -> str:
    """The case the staff member last wrote to or chose, when they no longer hold it (closed,
    handed over): "" otherwise. Their next message would go elsewhere by default: ask."""
    code = str(turn.conversation.vars.get(LAST) or "")
    return code if code and all(case.code != code for case in turn.held) else ""


def queue(conv: Conversation, item: dict, turn: Turn | None = None) -> Conversation:
    """One more message or command waiting for a case: stamped with the time, the cases held
    and a number of its own when ``turn`` is given."""
    if turn is not None:
        seq = int(conv.vars.get(SEQ) or 0) + 1
        item = {**item, "at": turn.now.isoformat(), "cases": held_codes(turn.held),
                "id": str(seq)}
        conv = conv.moved(vars={**conv.vars, SEQ: seq})
    waiting = [*_pending(conv), item]
    return conv.moved(vars={**conv.vars, PENDING: waiting})


def held_codes(held: tuple[CaseView, ...]) -> list[str]:
    return sorted(case.code for case in held)


def expired_why(item: dict, turn: Turn) -> str:
    """Why a kept item may no longer go ("" while it may): ``time`` after ``HOLD_FOR`` (or no
    stamp: kept before stamps), ``cases`` when the cases held changed since."""
    try:
        kept = dt.datetime.fromisoformat(str(item.get("at")))
    except ValueError:
        return "time"
    if turn.now - kept >= HOLD_FOR:
        return "time"
    if item.get("cases") != held_codes(turn.held):
        return "cases"
    return ""


def drop(conv: Conversation, keep: list[dict]) -> Conversation:
    """The conversation with only ``keep`` waiting."""
    new = {k: v for k, v in conv.vars.items() if k != PENDING}
    return conv.moved(vars={**new, PENDING: keep} if keep else new)


def waiting(conv: Conversation) -> list[dict]:
    """The kept items, oldest first."""
    return _pending(conv)


def take_first(conv: Conversation) -> tuple[dict | None, Conversation]:
    waiting = _pending(conv)
    if not waiting:
        return None, conv
    rest = waiting[1:]
    new = {k: v for k, v in conv.vars.items() if k != PENDING}
    return waiting[0], conv.moved(vars={**new, PENDING: rest} if rest else new)


def first_waiting(conv: Conversation) -> dict | None:
    waiting = _pending(conv)
    return waiting[0] if waiting else None


def _pending(conv: Conversation) -> list[dict]:
    waiting = conv.vars.get(PENDING) or []
    if isinstance(waiting, dict):  # one waiting item, as stored before the queue
        return [waiting]
    return [w for w in waiting if isinstance(w, dict)]


def buttons(turn: Turn, item: dict | None = None) -> tuple[Button, ...]:
    return buttons_for(turn.held, item)


def buttons_for(held: tuple[CaseView, ...], item: dict | None = None) -> tuple[Button, ...]:
    """One button per held case ("#K7Q2 Kucing Biru"), naming the kept item it answers."""
    tail = f":{item['id']}" if item and item.get("id") else ""
    return tuple(Button(f"#{case.code} {case.alias}", PICK_PREFIX + case.code + tail)
                 for case in held)


def expires_at(item: dict) -> dt.datetime | None:
    """When a kept item stops being fresh (None: unstamped, already stale)."""
    try:
        return dt.datetime.fromisoformat(str(item.get("at"))) + HOLD_FOR
    except ValueError:
        return None


def pick_parts(data: str) -> tuple[str, str]:
    """("h:pick:K7Q2:3") -> ("K7Q2", "3"); the item number is "" on a button without one."""
    code, _, item = data.removeprefix(PICK_PREFIX).partition(":")
    return code, item


def preview(item: dict) -> str:
    text = str(item.get("text", ""))
    return text if len(text) <= PREVIEW else text[:PREVIEW].rstrip() + "…"
