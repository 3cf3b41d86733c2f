"""The peer programme in the report (#17 item 6): training and approval figures, coaching by
kind and week (counts only, never the message), TPPK notifications suppressed like cases."""

from __future__ import annotations

from bot.store import audit
from tests.core.test_coaching import chat
from tests.dialog import Dialog
from tests.reports.weekly import week_report


def _row(text: str, starts: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| {starts}"))


async def test_a_held_message_is_counted_by_kind_and_week_without_its_words(dialog: Dialog):
    await chat(dialog, "id")
    await dialog.say("p1", "kamu kelas berapa sih?")  # held: asks who the student is
    await dialog.say("p1", "ah gitu doang, jangan lebay deh")  # minimising: a tip
    text = await week_report(dialog)
    assert "## Pendampingan pesan konselor sebaya, per minggu" in text
    header = _row(text, "Minggu mulai | Identitas")
    assert "Meremehkan" in header and "Khawatir" in header
    lines = text.splitlines()[text.splitlines().index(header) + 2:]
    this_week = lines[:lines.index("")][-1]  # the period ends today: its last week
    cells = [c.strip() for c in this_week.strip("|").split("|")]
    assert cells[1] == "<5" and cells[4] == "<5"  # identity, minimising: 1 each, hidden
    assert "kelas berapa" not in text and "lebay" not in text
    english = await week_report(dialog, "en")
    assert "| Identity |" in english and "Peer supporter programme" in english


async def test_trained_and_approved_peers_are_shown_as_they_are_tppk_is_protected(
        dialog: Dialog):
    await chat(dialog, "id")  # Bintang is enrolled (trained and approved by the test set-up)
    async with dialog.app.store.read() as db:
        [[trained, approved]] = await db.execute_fetchall(
            "SELECT COUNT(trained_at), COUNT(approved_at) FROM users WHERE role = 'peer'")
    async with dialog.app.store.transaction() as db:
        for _ in range(2):
            await audit.record(db, None, "tppk_notified", {"code": "X", "category": "abuse"},
                               dialog.app.clock.now())
    text = await week_report(dialog)
    assert _row(text, "Konselor sebaya lulus pelatihan").endswith(f"| {trained} |")
    assert _row(text, "Disetujui guru BK untuk bertugas").endswith(f"| {approved} |")
    assert _row(text, "Pemberitahuan ke TPPK").endswith("| <5 |")
