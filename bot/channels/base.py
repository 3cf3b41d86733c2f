"""The contract every channel adapter fulfils."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.events import InboundEvent, OutboundMessage, SendResult

Submit = Callable[[InboundEvent], Awaitable[int | None]]


class Channel(Protocol):
    """Translates platform updates to InboundEvents and OutboundMessages to platform calls."""

    name: str

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message; classify failures as retry_after, transient or permanent."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a platform said later about a message it accepted (WhatsApp statuses)."""

    ref: str  # the message's id, as the channel returned it in SendResult.ref
    state: str  # sent | delivered | read | failed
    outcome: str = ""  # of a failure: window (the reply window closed) | retry | permanent
    detail: str = ""  # the platform's error code, for the record


ReportSink = Callable[[str, list[DeliveryReport]], Awaitable[int]]
