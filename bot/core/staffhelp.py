"""The staff help: what a staff member can do, for their role (also the answer to a staff
command nobody declared)."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.conversation import Outcome, Turn

HELP_KEYS = {"peer": "staff.help_peer", "tppk": "tppk.help"}  # any other role: staff.help


def staff_help(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """The help text of the person's role, greeting them by pseudonym or name."""
    outcome = Outcome(turn.conversation)
    name = turn.party.pseudonym or turn.party.display_name or ""
    ctx.say(outcome, turn, HELP_KEYS.get(turn.party.role, "staff.help"), name=name,
             role=ctx.text(f"role.{turn.party.role}", turn.conversation.lang))
    return outcome
