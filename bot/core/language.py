"""Staff choose their chat language like students do: /bahasa (/language), then a button.

Students have it in commands.py (their global commands); staff turns never reach those, so
this is the same two steps for staff: the buttons, then ``SetLanguage`` (users.lang), which
every later text to them follows, including alerts, offers and relays that other people's
turns send (bot/core/localized.py: the outbox picks the recipient's language).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.conversation import Outcome, Turn
from bot.core.effects import Audit, Send, SetLanguage
from bot.core.events import Button
from bot.core.feature import PRINCIPAL, STAFF, ButtonRoute, Command, Feature, MenuEntry

COMMANDS = ("bahasa", "language")
PREFIX = "g:lang:"  # the same button data as the students' (commands.py)


def choose(ctx: Context, turn: Turn) -> Outcome:
    """The language buttons, each named in its own language."""
    lang = turn.conversation.lang
    buttons = tuple(Button(ctx.text(f"core.language_{code}", lang), PREFIX + code)
                    for code in ctx.languages)
    return Outcome(turn.conversation, [Send(turn.party.key, ctx.text(
        "core.language_choose", lang), buttons)])


def chosen(ctx: Context, turn: Turn) -> Outcome:
    """A language button: stored for the person, and said in the new language."""
    code = turn.data.removeprefix(PREFIX)
    conv = turn.conversation
    if code not in ctx.languages:
        return Outcome(conv, [Send(turn.party.key, ctx.text("core.stale_button", conv.lang)),
                              Audit(turn.party.key, "button_refused", {})])
    return Outcome(conv.moved(lang=code), [
        SetLanguage(conv.user, code),
        Send(turn.party.key, ctx.text("core.language_set", code)),
        Send(turn.party.key, ctx.text("staff.language_more", code))])


_MENU = "Ganti bahasa / language"


def _choose(ctx: Context, turn: Turn, _: str) -> Outcome:
    return choose(ctx, turn)


FEATURE = Feature(
    "language",
    commands=(
        Command("bahasa", _choose, STAFF, aliases=("language",), menu=(
            MenuEntry(("peer",), 80, _MENU), MenuEntry(("counselor",), 89, _MENU),
            MenuEntry(("tppk",), 85, _MENU))),
        Command("bahasa", _choose, PRINCIPAL, aliases=("language",),
                menu=(MenuEntry(("principal",), 50, _MENU),)),
    ),
    buttons=(ButtonRoute(PREFIX, chosen, STAFF), ButtonRoute(PREFIX, chosen, PRINCIPAL)),
)
