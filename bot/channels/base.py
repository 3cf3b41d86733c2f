"""The contract every channel adapter fulfils."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.events import InboundEvent, OutboundMessage, SendResult

Submit = Callable[[InboundEvent], Awaitable[int | None]]


class Channel(Protocol):
    """Translates platform updates to InboundEvents and OutboundMessages to platform calls."""

    name: str

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message; classify failures as retry_after, transient or permanent."""
        ...
