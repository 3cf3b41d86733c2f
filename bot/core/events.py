"""What flows between channels, the dispatcher and the core.

``InboundEvent`` is what a channel adapter produces (it still holds platform ids and the chat
address, which the dispatcher seals before anything else sees them). ``Turn`` is what the core
handles: pseudonymous keys only. ``OutboundMessage`` is what the outbox hands to a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a person sent."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    UNSUPPORTED = "unsupported"  # sticker, photo, voice, file ...


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label shown to people and opaque data sent back when pressed."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One update from a channel, before identity is sealed."""

    channel: str
    external_id: str  # unique per channel: Telegram update_id, console counter ...
    user_id: str  # platform user id: never stored in plaintext, never logged
    address: str  # where replies go (chat id): sealed at rest
    kind: Kind
    text: str = ""
    data: str = ""  # button payload
    private: bool = True
    lang_hint: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # channel-only details (callback id ...)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "external_id": self.external_id, "user_id": self.user_id,
            "address": self.address, "kind": self.kind.value, "text": self.text,
            "data": self.data, "private": self.private, "lang_hint": self.lang_hint,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> InboundEvent:
        return cls(**{**raw, "kind": Kind(raw["kind"])})


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message ready for a channel: address already decrypted by the outbox."""

    channel: str
    address: str
    text: str
    buttons: tuple[Button, ...] = ()
    ref: str = ""  # idempotency reference, e.g. an alert id
    image: bytes | None = None  # a PNG chart sent with ``text`` as its caption
    urgent: bool = False  # a crisis alert: channels give it a lane of its own
    edit_ref: str = ""  # not a new message: remove the buttons of this sent message
    window_open: bool = True  # the recipient wrote recently enough for free-form messages
    purpose: str = ""  # alert | notice | reminder | queue: what a template may stand in for
    case_code: str = ""  # the case this message belongs to (a template's parameter)


class SendStatus(StrEnum):
    OK = "ok"
    RETRY_AFTER = "retry_after"  # the platform asked us to slow down
    TRANSIENT = "transient"  # network hiccup: try again with backoff
    PERMANENT = "permanent"  # blocked, chat gone: dead-letter
    HELD = "held"  # may only go once the person writes again (a closed reply window)


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float = 0.0
    detail: str = ""
    ref: str = ""  # the platform's id of the (last) message sent, for a later edit
    recipient_only: bool = False  # retry_after for this recipient only, not the whole channel
    window_closed: bool = False  # the platform said the person's reply window is closed

    @classmethod
    def ok(cls) -> SendResult:
        return cls(SendStatus.OK)


@dataclass(frozen=True)
class CommandMenus:
    """The command menus channels show (Telegram's setMyCommands, WhatsApp's commands):
    students' by language, staff's by role, each a tuple of (command, description). Built
    from the features' declarations (``Registry.menus``)."""

    student: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    staff: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    lang: str = "id"  # the school's language (a channel with one menu for all shows it)

    def for_role(self, role: str) -> tuple[tuple[str, str], ...]:
        """A staff chat's menu (a role without its own menu gets guru BK's)."""
        return self.staff.get(role, self.staff.get("counselor", ()))
