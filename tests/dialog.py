"""Test helpers: a recording channel and a multi-party dialog driver over the real App.

Transcripts are lists of (who, line): ("student", "halo") sends text, ("student", "[Oke, lanjut]")
presses the button with that label, ("bot>student", "fragment") expects a message containing the
fragment to have been sent to that person since the previous send.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.app import App
from bot.core.conversation import CaseView
from bot.core.events import InboundEvent, Kind, OutboundMessage, SendResult, SendStatus
from bot.store import cases, invariants


class RecordingChannel:
    """A channel that records every message; ``plan`` scripts failures (status per call)."""

    name = "test"

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []
        self.plan: list[SendResult] = []
        self.edits: list[OutboundMessage] = []  # buttons retracted from sent messages
        self.blocked: set[str] = set()  # addresses that blocked the bot (403 for good)
        self.refused: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.address in self.blocked:
            self.refused.append(message)
            return SendResult(SendStatus.PERMANENT, detail="forbidden: bot was blocked")
        if self.plan:
            result = self.plan.pop(0)
            if result.status is not SendStatus.OK:
                return result
        if message.edit_ref:
            self.edits.append(message)
            return SendResult.ok()
        self.sent.append(message)
        return SendResult(SendStatus.OK, ref=str(len(self.sent) - 1))  # its index in sent


class Dialog:
    """Drives people through the real dispatcher, outbox and timers."""

    def __init__(self, app: App, channel: RecordingChannel) -> None:
        self.app = app
        self.channel = channel
        self._ids = itertools.count(1)

    def event(self, who: str, kind: Kind, text: str = "", data: str = "",
              lang_hint: str = "", meta: dict | None = None) -> InboundEvent:
        return InboundEvent("test", f"ev-{next(self._ids)}", who, who, kind, text=text,
                            data=data, lang_hint=lang_hint, meta=meta or {})

    async def reply(self, who: str, to_message: OutboundMessage, text: str
                    ) -> list[OutboundMessage]:
        """``who`` answers by replying to a message they were sent (Telegram's reply-to)."""
        ref = str(self.channel.sent.index(to_message))  # RecordingChannel's message id
        kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
        return await self.deliver(self.event(who, kind, text, meta={"reply_to": ref}))

    async def deliver(self, event: InboundEvent) -> list[OutboundMessage]:
        before = len(self.channel.sent)
        await self.app.dispatcher.accept(event)
        await self.app.settle()
        await assert_invariants(self.app, f"after {event.kind.value} from {event.user_id}")
        return self.channel.sent[before:]

    async def say(self, who: str, text: str) -> list[OutboundMessage]:
        kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
        return await self.deliver(self.event(who, kind, text))

    async def press(self, who: str, label: str) -> list[OutboundMessage]:
        data = self.button_data(who, label)
        return await self.deliver(self.event(who, Kind.BUTTON, label, data))

    def button_data(self, who: str, label: str) -> str:
        for message in reversed(self.channel.sent):
            if message.address == who:
                for button in message.buttons:
                    if button.label == label:
                        return button.data
        shown = [b.label for m in self.channel.sent if m.address == who for b in m.buttons]
        raise AssertionError(f"no button {label!r} shown to {who}; buttons seen: {shown}")

    def last_to(self, who: str) -> OutboundMessage:
        return next(m for m in reversed(self.channel.sent) if m.address == who)

    async def tick(self, **delta: float) -> list[OutboundMessage]:
        """Advance the manual clock and let due timers fire."""
        before = len(self.channel.sent)
        self.app.clock.advance(**delta)  # type: ignore[attr-defined]
        await self.app.settle()
        await assert_invariants(self.app, f"after the clock moved {delta}")
        return self.channel.sent[before:]

    async def play(self, script: Sequence[tuple[str, str]]) -> None:
        """Run a transcript; fail with the step and what was actually sent."""
        recent: list[OutboundMessage] = []
        for step, (who, line) in enumerate(script, 1):
            if who.startswith("bot>"):
                target = who.removeprefix("bot>")
                texts = [m.text for m in recent if m.address == target]
                assert any(line in text for text in texts), (
                    f"step {step}: expected {line!r} to {target}; got {texts}")
            elif line.startswith("[") and line.endswith("]"):
                recent = await self.press(who, line[1:-1])
            else:
                recent = await self.say(who, line)


def to(sent: Sequence[OutboundMessage], who: str) -> list[str]:
    """The texts among ``sent`` that went to ``who``."""
    return [m.text for m in sent if m.address == who]


async def case_of(app: App, who: str = "student") -> CaseView | None:
    """The open case of a test-channel person."""
    async with app.store.transaction() as db:
        return await cases.open_for(db, app.vault.user_key("test", who))


async def assert_invariants(app: App, when: str) -> None:
    """The safety promise holds right now (bot/store/invariants.py), or the test fails with the
    case and the event that broke it."""
    async with app.store.read() as db:
        broken = await invariants.violations(db)
    assert not broken, f"safety invariant broken {when}: " + "; ".join(map(str, broken))
