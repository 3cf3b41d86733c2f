"""Built-in services a flow can hand over to with ``service: NAME``."""

from __future__ import annotations

from typing import Any

from bot.core import appointments, ask, groups
from bot.core.context import Context
from bot.core.conversation import Conversation, Outcome, Turn


def start(ctx: Context, turn: Turn, conv: Conversation, name: str,
          variables: dict[str, Any]) -> Outcome:
    """Run service ``name`` (validated when the flow was loaded) for this student."""
    if name == "appointment":
        return appointments.start(ctx, turn, conv, variables)
    if name == "ask_direct":
        return ask.start(ctx, turn, conv, variables)
    return groups.listing(ctx, turn, conv)
