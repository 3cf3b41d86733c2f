"""The console channel: personas, numbered buttons, unique external ids."""

from __future__ import annotations

from bot.channels.console import ConsoleChannel, Persona, parse_persona
from bot.core.events import Button, Kind, OutboundMessage


def test_parse_persona() -> None:
    assert parse_persona("peer:Bintang") == Persona("peer", "Bintang")
    assert parse_persona(" Counselor:Bu Rina ") == Persona("counselor", "Bu Rina")
    assert parse_persona("student") == Persona("student", "1")
    assert parse_persona("principal:X") is None


async def test_numbers_press_the_buttons_last_shown_to_this_persona() -> None:
    lines: list[str] = []
    console = ConsoleChannel(write=lines.append)
    await console.send(OutboundMessage("console", "student:1", "Pilih:",
                                       (Button("Ya", "f:a:y"), Button("Tidak", "f:a:n"))))
    assert lines[-1].endswith("(1) Ya  (2) Tidak")
    event = console.event_for("2")
    assert (event.kind, event.data, event.user_id) == (Kind.BUTTON, "f:a:n", "student:1")
    assert console.event_for("3").kind is Kind.TEXT  # no third button: it is just text
    console.persona = Persona("peer", "B")
    assert console.event_for("1").kind is Kind.TEXT  # buttons belong to the student


def test_commands_and_unsupported_kinds() -> None:
    console = ConsoleChannel(write=lambda _: None)
    assert console.event_for("/help").kind is Kind.COMMAND
    assert console.event_for("/sticker").kind is Kind.UNSUPPORTED


def test_external_ids_are_unique_across_runs() -> None:
    first, second = ConsoleChannel(write=print), ConsoleChannel(write=print)
    assert first.event_for("a").external_id != second.event_for("a").external_id
