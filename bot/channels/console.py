"""The local console channel: one person at a keyboard plays student, peer or counselor.

``/as peer:Bintang`` switches persona (``/as student`` back, ``/as student:2`` a second student).
Buttons are shown numbered; typing the number presses it. Same core, same store as Telegram.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.events import Button, InboundEvent, Kind, OutboundMessage, SendResult

ROLES = ("student", "peer", "counselor", "backup", "tppk")


@dataclass(frozen=True)
class Persona:
    role: str
    name: str

    @property
    def address(self) -> str:
        return f"{self.role}:{self.name}"


def parse_persona(arg: str) -> Persona | None:
    """"peer:Bintang" -> Persona("peer", "Bintang"); "student" -> Persona("student", "1")."""
    role, _, name = arg.strip().partition(":")
    role = role.casefold()
    if role not in ROLES:
        return None
    return Persona(role, name.strip() or "1")


class ConsoleChannel:
    """Prints outbound messages; turns typed lines into inbound events."""

    name = "console"

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.persona = Persona("student", "1")
        self._buttons: dict[str, tuple[Button, ...]] = {}
        self._counter = itertools.count(1)
        self._run_id = uuid.uuid4().hex[:8]  # external ids stay unique across runs

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.edit_ref:  # buttons retracted: forget them for numbered presses
            self._buttons.pop(message.address, None)
            return SendResult.ok()
        lines = message.text.splitlines() or [""]
        self.write(f"  [{message.address}] 🤖 {lines[0]}")
        for line in lines[1:]:
            self.write(f"  [{message.address}]    {line}")
        if message.buttons:
            self._buttons[message.address] = message.buttons
            shown = "  ".join(f"({i}) {b.label}" for i, b in enumerate(message.buttons, 1))
            self.write(f"  [{message.address}]    {shown}")
        return SendResult.ok()

    def event_for(self, line: str) -> InboundEvent | None:
        """The inbound event for a typed line, or None for a console-only line (``/as``)."""
        address = self.persona.address
        external_id = f"{self._run_id}-{next(self._counter)}"
        stripped = line.strip()
        buttons = self._buttons.get(address, ())
        if stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
            button = buttons[int(stripped) - 1]
            return InboundEvent(self.name, external_id, address, address, Kind.BUTTON,
                                text=button.label, data=button.data)
        if stripped.startswith(("/sticker", "/photo")):
            return InboundEvent(self.name, external_id, address, address, Kind.UNSUPPORTED)
        kind = Kind.COMMAND if stripped.startswith("/") else Kind.TEXT
        return InboundEvent(self.name, external_id, address, address, kind, text=line)
