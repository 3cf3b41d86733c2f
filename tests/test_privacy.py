"""Anonymous by construction: no platform id, name or username in the database file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.events import InboundEvent, Kind
from tests.conftest import enrol
from tests.dialog import Dialog

PLATFORM_ID = "718293645"
NAME = "Kartika Prameswari"
USERNAME = "kartika_pram08"


def _db_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")
                    if not p.name.endswith(".secret"))


@pytest.mark.sqlite_only
async def test_database_holds_no_plaintext_identity(dialog: Dialog) -> None:
    app = dialog.app
    await enrol(app, "peer-1", "peer", "Bintang")
    steps = [("halo", Kind.TEXT, ""), ("", Kind.BUTTON, "f:welcome:ok"),
             ("", Kind.BUTTON, "f:topic:teman"), ("aku ribut sama temen", Kind.TEXT, ""),
             ("", Kind.BUTTON, "f:weight:w2"), ("", Kind.BUTTON, "f:safety:safe"),
             ("masih di sini", Kind.TEXT, "")]
    for index, (text, kind, data) in enumerate(steps):
        # A channel passes names along only in meta; it is sealed in the inbox, then wiped.
        event = InboundEvent("test", f"u{index}", PLATFORM_ID, PLATFORM_ID, kind, text, data,
                             meta={"first_name": NAME, "username": USERNAME})
        await app.dispatcher.accept(event)
        await app.settle()
    assert any(m.address == "peer-1" and "ribut" in m.text for m in dialog.channel.sent)
    staff_texts = " ".join(m.text for m in dialog.channel.sent if m.address == "peer-1")
    raw = _db_bytes(app.config.database_path)
    assert len(raw) > 10_000  # the scan really read the database and its WAL
    for secret in (PLATFORM_ID, NAME, USERNAME, "kartika"):
        assert secret.encode() not in raw, secret
        assert secret not in staff_texts
    async with app.store.transaction() as db:
        payloads = await (await db.execute(
            "SELECT COUNT(*) FROM inbox WHERE payload IS NOT NULL")).fetchone()
    assert payloads[0] == 0  # handled events keep no sealed payload either


async def test_keys_are_stable_and_differ_per_channel(dialog: Dialog) -> None:
    vault = dialog.app.vault
    assert vault.user_key("telegram", PLATFORM_ID) == vault.user_key("telegram", PLATFORM_ID)
    assert vault.user_key("telegram", PLATFORM_ID) != vault.user_key("whatsapp", PLATFORM_ID)
    assert PLATFORM_ID not in vault.user_key("telegram", PLATFORM_ID).value


async def test_no_identity_in_any_staff_message_or_log_line(dialog: Dialog, caplog) -> None:
    """A full scenario (peer case, survey, crisis, counselor) with a name and username coming
    from the channel: none of it reaches staff or the logs."""
    import logging

    from tests.core.test_handoff import PEER_CASE, team

    caplog.set_level(logging.DEBUG)
    app = dialog.app
    await team(app)
    counter = iter(range(1000))

    async def student(text: str = "", kind: Kind = Kind.TEXT, data: str = "") -> None:
        await app.dispatcher.accept(InboundEvent(
            "test", f"x{next(counter)}", PLATFORM_ID, PLATFORM_ID, kind, text, data,
            meta={"first_name": NAME, "username": USERNAME}))
        await app.settle()

    for step in PEER_CASE:
        if step.startswith("["):
            await student(step[1:-1], Kind.BUTTON, dialog.button_data(PLATFORM_ID, step[1:-1]))
        else:
            await student(step)
    await dialog.press("p1", "Terima")
    await student("aku kesel banget sama dia")
    await dialog.say("p1", "/selesai")
    await student("5", Kind.BUTTON, dialog.button_data(PLATFORM_ID, "5"))
    await student("aku pengen mati aja")
    await dialog.press("bk", "Saya tangani")
    await student("iya bu")
    staff_text = " ".join(m.text for m in dialog.channel.sent if m.address != PLATFORM_ID)
    assert "kesel banget" in staff_text and "pengen mati" in staff_text  # words, not identity
    logs = " ".join(record.getMessage() for record in caplog.records)
    for secret in (PLATFORM_ID, NAME, USERNAME):
        assert secret not in staff_text
        assert secret not in logs
