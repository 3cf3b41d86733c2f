"""A crisis told over two messages ("aku pengen" ... "mati"): the student's previous message
is screened again together with the new one (a rule must match across the two: the model's
guess on a pasted pair is not enough).

Teenagers often send one thought as several short messages. Each is screened alone first; if
neither is a crisis, the previous message (kept at most ``WINDOW``, sealed with the rest of the
conversation's variables) and the new one are screened as one text. After a crisis the kept
message is dropped, so an open crisis is not raised again by an older message. A crisis in the
new message alone is also read with the previous one when that changes what it is: "temenku
bilang" ... "mau loncat dari jembatan" is a friend in danger, not the writer's own wish.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.core.conversation import Conversation, Outcome

PREVIOUS = "_prev_text"  # [ISO time, the student's last text]: bookkeeping that survives resets
WINDOW = dt.timedelta(minutes=10)
MAX_KEPT = 400  # characters of the previous message kept (its end: the words just before)


def previous(conv: Conversation, now: dt.datetime) -> str:
    """The student's previous message if it came within ``WINDOW``, else ""."""
    kept = conv.vars.get(PREVIOUS)
    if not kept:
        return ""
    try:
        when = dt.datetime.fromisoformat(kept[0])
    except (TypeError, ValueError, IndexError):
        return ""
    return str(kept[1]) if now - when <= WINDOW else ""


FRAGMENT = 4  # words: a previous message this short is the start of the new one's sentence


def reframed(before: str, alone: Any, joined: Any) -> bool:
    """Whether the previous message, a fragment ("temenku bilang", "kakakku"), makes the new
    one another kind of crisis (the alert's category must be what the student told). A whole
    sentence before ("aku berantem sama sahabatku") does not: the new one stands alone."""
    return len(before.split()) <= FRAGMENT and list(getattr(joined, "categories", ())) != list(
        getattr(alone, "categories", ()))


def remember(outcome: Outcome, text: str, now: dt.datetime) -> None:
    """Keep ``text`` as the previous message in the outcome's conversation."""
    conv = outcome.conversation
    if conv is not None:
        outcome.conversation = replace(conv, vars={
            **conv.vars, PREVIOUS: [now.isoformat(), text[-MAX_KEPT:]]})


def forget(outcome: Outcome) -> Outcome:
    """Drop the kept message (after a crisis it has done its work)."""
    conv = outcome.conversation
    if conv is not None and PREVIOUS in conv.vars:
        outcome.conversation = replace(conv, vars={
            k: v for k, v in conv.vars.items() if k != PREVIOUS})
    return outcome
