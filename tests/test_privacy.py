"""Anonymous by construction: no platform id, name or username in the database file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.events import InboundEvent, Kind, SendResult, SendStatus
from tests.conftest import enrol
from tests.dialog import Dialog, to

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


STUDENT_WORDS = ("sahabatku ngejauhin aku terus", "dipalak kakak kelas tiap istirahat",
                 "aku pengen bunuh diri malam ini", "masih kepikiran gantung diri",
                 "makasih kak udah dengerin")


async def test_no_student_words_at_rest_in_database_wal_or_backup(
        dialog: Dialog, tmp_path: Path) -> None:
    """A peer chat, a light case for guru BK and a crisis (ladder timer, requeue-ready
    outbox rows): the student's words are sealed everywhere they rest, the database file, its
    WAL and a backup (timer payloads and outbox payloads included)."""
    from bot import operations
    from tests.core.test_handoff import team

    d, app = dialog, dialog.app
    await team(app)
    peer_chat = [("s1", "halo"), ("s1", "[Oke, lanjut]"), ("s1", "[Pertemanan]"),
                 ("s1", STUDENT_WORDS[0]), ("s1", "[Lumayan berat]"), ("s1", "[Nggak, aman]")]
    await d.play(peer_chat)
    await d.tick(seconds=1)
    await d.press("p1", "Terima")
    await d.say("s1", STUDENT_WORDS[4])
    light = [("s2", "halo"), ("s2", "[Oke, lanjut]"), ("s2", "[Perundungan (bullying)]"),
             ("s2", STUDENT_WORDS[1]), ("s2", "[Berat banget]"), ("s2", "[Nggak, aman]")]
    await d.play(light)
    app.channels["test"].plan = [SendResult(SendStatus.TRANSIENT, detail="down")] * 3
    await d.say("s3", STUDENT_WORDS[2])  # the alert's first send fails: its row waits
    await d.say("s3", STUDENT_WORDS[3])
    staff_texts = " ".join(m.text for m in d.channel.sent if m.address in ("p1", "bk"))
    assert STUDENT_WORDS[0] in staff_texts and STUDENT_WORDS[1] in staff_texts
    async with app.store.read() as db:
        ladder = await db.execute_fetchall(
            "SELECT typeof(payload) FROM timers WHERE kind = 'crisis_ladder'")
        outbox = await db.execute_fetchall(
            "SELECT status, length(payload) > 0 FROM outbox GROUP BY 1, 2")
    assert ladder and {r[0] for r in ladder} == {"blob"}  # ladders quote the student: sealed
    assert {tuple(r) for r in outbox} == {("sent", 0), ("pending", 1)}  # sent rows are wiped,
    # the alert still to send keeps its words (sealed: the scan below finds none of them)
    backup = tmp_path / "backups" / "copy.sqlite3"
    operations.backup(app.config, backup)
    path = app.config.database_path
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 10_000  # the WAL holds this session
    for file in (path, wal, backup):
        raw = file.read_bytes()
        for words in STUDENT_WORDS:
            for word in words.split():
                if len(word) >= 8:  # the distinctive ones ("ngejauhin", "istirahat", ...)
                    assert word.encode() not in raw, (file.name, word)
            assert words.encode() not in raw, (file.name, words)
    sent = await d.tick(minutes=2)  # the sealed rows still go once the channel is back
    assert any(STUDENT_WORDS[2] in t and "BUTUH GURU BK" in t for t in to(sent, "bk"))
