"""Retention: the daily purge deletes what the school's policy says, and the words are gone
from the database file, WAL included."""

from __future__ import annotations

import pytest

from bot.store import audit
from tests.conftest import enrol
from tests.core.test_handoff import PEER_CASE
from tests.dialog import Dialog

STORY = "rahasia-unik-xq7 aku berantem sama sahabatku"


def _bytes(dialog: Dialog) -> bytes:
    path = dialog.app.config.database_path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")
                    if not p.name.endswith(".secret"))


async def _count(dialog: Dialog, sql: str) -> int:
    async with dialog.app.store.transaction() as db:
        return (await (await db.execute(sql)).fetchone())[0]


async def _kept_sealed(dialog: Dialog) -> None:
    """The words are on the case (story, transcript, survey comment), sealed: never in the
    file as plain text, even before anything is deleted."""
    assert await _count(dialog, "SELECT COUNT(*) FROM case_messages "
                                "WHERE instr(unseal(text), 'rahasia-unik-xq7')") >= 1
    assert await _count(dialog, "SELECT COUNT(*) FROM cases "
                                "WHERE instr(unseal(intake), 'rahasia-unik-xq7')") == 1
    assert await _count(dialog, "SELECT COUNT(*) FROM surveys "
                                "WHERE instr(unseal(comment), 'rahasia-unik-xq7')") == 1
    assert b"rahasia-unik-xq7" not in _bytes(dialog)
    assert b"sahabatku" not in _bytes(dialog)


async def _closed_peer_case(dialog: Dialog) -> None:
    await enrol(dialog.app, "p1", "peer", "Bintang")
    steps = [s if s != "aku lagi berantem sama sahabatku" else STORY for s in PEER_CASE]
    await dialog.play([("student", s) for s in steps])
    await dialog.press("p1", "Terima")
    await dialog.say("student", "makasih kak, rahasia-unik-xq7")
    await dialog.say("p1", "/selesai")
    await dialog.press("student", "4")
    await dialog.say("student", "komentar rahasia-unik-xq7")


@pytest.mark.sqlite_only
async def test_light_cases_are_purged_after_their_retention(dialog: Dialog) -> None:
    await dialog.app.ensure_retention()
    await _closed_peer_case(dialog)
    await _kept_sealed(dialog)
    await dialog.tick(days=30)
    assert await _count(dialog, "SELECT COUNT(*) FROM cases") == 1  # light: 90 days
    assert await _count(dialog, "SELECT COUNT(*) FROM outbox") == 0  # processed: 7 days
    assert await _count(dialog, "SELECT COUNT(*) FROM inbox") == 0
    await dialog.tick(days=61)
    assert await _count(dialog, "SELECT COUNT(*) FROM cases") == 0
    assert await _count(dialog, "SELECT COUNT(*) FROM case_messages") == 0
    assert await _count(dialog, "SELECT COUNT(*) FROM offers") == 0
    assert await _count(dialog, "SELECT score FROM surveys") == 4  # kept for the reports
    assert await _count(dialog, "SELECT COUNT(comment) FROM surveys") == 0  # its words are not
    assert b"rahasia-unik-xq7" not in _bytes(dialog)  # zeroed, and no copy left in the WAL
    async with dialog.app.store.transaction() as db:
        assert await audit.rows(db, "retention_purge")


async def test_crisis_records_are_kept_longer(dialog: Dialog) -> None:
    await dialog.app.ensure_retention()
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati aja")
    await dialog.press("bk", "Saya tangani")
    await dialog.say("bk", "/selesai siswa aman")
    await dialog.tick(days=100)
    assert await _count(dialog, "SELECT COUNT(*) FROM cases WHERE level = 'crisis'") == 1
    await dialog.tick(days=266)
    assert await _count(dialog, "SELECT COUNT(*) FROM cases") == 0


async def test_open_cases_are_never_purged(dialog: Dialog) -> None:
    await dialog.app.ensure_retention()
    await enrol(dialog.app, "p1", "peer", "Bintang")
    await dialog.play([("student", s) for s in PEER_CASE])
    await dialog.tick(days=400)
    assert await _count(dialog, "SELECT COUNT(*) FROM cases WHERE status != 'closed'") == 1


async def test_the_purge_is_scheduled_once_and_repeats_daily(dialog: Dialog) -> None:
    await dialog.app.ensure_retention()
    await dialog.app.ensure_retention()
    assert await _count(dialog, "SELECT COUNT(*) FROM timers WHERE kind = 'retention'") == 1
    for _ in range(3):
        await dialog.tick(days=1, seconds=1)
    async with dialog.app.store.transaction() as db:
        assert len(await audit.rows(db, "retention_purge")) == 3


@pytest.mark.sqlite_only
async def test_hapus_removes_the_rows_and_the_words_from_the_file(dialog: Dialog) -> None:
    """/hapus promises deletion: the rows are gone, and so are the bytes (secure_delete zeroes
    the freed pages, a TRUNCATE checkpoint drops the WAL's older copies)."""
    await _closed_peer_case(dialog)
    await _kept_sealed(dialog)
    await dialog.say("student", "/hapus")
    await dialog.press("student", "Ya, hapus")
    for table in ("cases", "case_messages", "offers", "timers"):
        assert await _count(dialog, f"SELECT COUNT(*) FROM {table}") == 0, table
    assert await _count(dialog, "SELECT COUNT(*) FROM conversations WHERE user_key NOT IN "
                                "(SELECT key FROM users WHERE role = 'peer')") == 0
    assert await _count(dialog, "SELECT COUNT(comment) FROM surveys") == 0  # the score stays,
    assert await _count(dialog, "SELECT COUNT(*) FROM surveys JOIN cases "  # linked to nobody
                                "ON cases.id = surveys.case_id") == 0
    assert await _count(dialog, "SELECT COUNT(*) FROM users WHERE role = 'student'") == 0
    assert b"rahasia-unik-xq7" not in _bytes(dialog)


async def test_hapus_keeps_an_open_crisis_record_as_it_says(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati aja")
    sent = await dialog.say("student", "/hapus")
    assert "Catatan krisis yang masih terbuka tetap disimpan" in sent[0].text
    await dialog.press("student", "Ya, hapus")
    assert await _count(dialog, "SELECT COUNT(*) FROM cases WHERE level = 'crisis'") == 1
    sent = await dialog.press("bk", "Saya tangani")  # guru BK can still reach the student
    assert any("Guru BK sekarang menemanimu" in m.text for m in sent)


async def test_appointments_and_group_sessions_follow_the_light_retention(dialog: Dialog) -> None:
    from tests.flows.test_services_transcripts import APPOINTMENT_ANON_ID

    await dialog.app.ensure_retention()
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID)
    await dialog.say("bk", "/sesi Kelola stres | 2026-11-26 13:00 | Aula | 5")
    await dialog.tick(days=30)
    assert await _count(dialog, "SELECT COUNT(*) FROM appointments") == 1
    await dialog.tick(days=65)  # 90 days after the appointment and the session
    assert await _count(dialog, "SELECT COUNT(*) FROM appointments") == 0
    assert await _count(dialog, "SELECT COUNT(*) FROM group_sessions") == 0
