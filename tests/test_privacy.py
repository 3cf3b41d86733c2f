"""Anonymous by construction: no platform id, name or username in the database file."""

from __future__ import annotations

from pathlib import Path

from bot.core.events import InboundEvent, Kind
from tests.conftest import enrol
from tests.dialog import Dialog

PLATFORM_ID = "718293645"
NAME = "Kartika Prameswari"
USERNAME = "kartika_pram08"


def _db_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")
                    if not p.name.endswith(".secret"))


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
