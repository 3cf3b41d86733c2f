"""Typed replies at a button step: "oke", "iya", "2", or the label itself mean that button.

Teenagers type instead of tapping. A reply that names exactly one button presses it; anything
else is kept (it joins what the student has told us so far) and the buttons come back with one
short line, never the whole prompt again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core import ack
from bot.core.context import Context
from bot.core.conversation import SAID, Outcome, Turn
from bot.core.events import Button

KEPT = 20  # what a student typed at button steps, kept for the story (the newest)

YES = frozenset({"iya", "ya", "y", "yes", "yess", "yup", "yep", "oke", "ok", "okay", "okey",
                 "okee", "sip", "siap", "boleh", "lanjut", "gas", "hooh", "he'em", "iyaa",
                 "iyo", "nggih", "muhun", "sure"})
NO = frozenset({"tidak", "nggak", "ngga", "gak", "ga", "enggak", "engga", "no", "nope", "ndak",
                "ora", "henteu", "teu", "belum", "nanti"})
_WORD = re.compile(r"[\w']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _group(word: str) -> str | None:
    return "yes" if word in YES else "no" if word in NO else None


def match_button(text: str, buttons: Sequence[Button]) -> Button | None:
    """The one button a typed reply names, or None when it names none or several."""
    typed = _words(text)
    if not typed or not buttons:
        return None
    if len(typed) == 1 and typed[0].isascii() and typed[0].isdigit():
        number = int(typed[0])
        return buttons[number - 1] if 1 <= number <= len(buttons) else None
    joined = " ".join(typed)
    exact = [b for b in buttons if " ".join(_words(b.label)) == joined]
    if len(exact) == 1:
        return exact[0]
    if len(typed) > 3:  # a sentence is an answer of its own, not a tap
        return None
    group = _group(typed[0])
    named = [b for b in buttons if (first := _words(b.label)[:1]) and (
        first[0] == typed[0] or (group is not None and _group(first[0]) == group))]
    return named[0] if len(named) == 1 else None


def kept(ctx: Context, turn: Turn, text: str, buttons: tuple[Button, ...]) -> Outcome:
    """Typed at a button step and naming no button: kept for the story the helper reads; the
    buttons come back with one short line the first time, then the bot stays quiet (a student
    typing on is not told the same thing after every message), and one gentle line after a
    long gap."""
    conv = turn.conversation
    said = [*conv.vars.get(SAID, []), text][-KEPT:]
    say, conv = ack.due(conv.moved(vars={**conv.vars, SAID: said}), ack.step(conv), turn.now)
    outcome = Outcome(conv)
    if say == "first":
        ctx.say(outcome, turn, "core.use_buttons", buttons)
    elif say == "again":
        ctx.say(outcome, turn, "core.use_buttons_again", buttons)
    return outcome
