"""Built-in services a flow can hand over to with ``service: NAME``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core import appointments, ask, groups
from bot.core.conversation import Conversation, Outcome, Turn

if TYPE_CHECKING:
    from bot.core.core import Core


def start(core: Core, turn: Turn, conv: Conversation, name: str,
          variables: dict[str, Any]) -> Outcome:
    """Run service ``name`` (validated when the flow was loaded) for this student."""
    if name == "appointment":
        return appointments.start(core, turn, conv, variables)
    if name == "ask_direct":
        return ask.start(core, turn, conv, variables)
    return groups.listing(core, turn, conv)
