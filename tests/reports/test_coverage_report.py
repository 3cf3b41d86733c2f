"""Shift coverage in the report (#17 item 6): per week the roster's hours, the hours peers
held and the hours they were on duty, no-shows (about staff: shown as they are, no names),
and the check-in answers (counts, small ones hidden)."""

from __future__ import annotations

from bot.reports import numbers
from bot.store import audit
from tests.core.test_shifts_chat import take_tuesday, team, to_shift_start
from tests.dialog import Dialog
from tests.reports.weekly import week_report


def _row(text: str, starts: str, after: str = "") -> str:
    lines = text.splitlines()
    lines = lines[lines.index(after):] if after else lines
    return next(line for line in lines if line.startswith(f"| {starts}"))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip("|").split("|")]


async def test_hours_planned_taken_covered_and_no_shows_per_week(dialog: Dialog) -> None:
    d = dialog
    await team(d)
    await take_tuesday(d, "p1")
    await take_tuesday(d, "p2")
    await to_shift_start(d)
    await d.tick(minutes=29 + 10)  # 07:10 Tuesday: Bintang comes on duty, Awan does not
    await d.say("p1", "/onduty")
    await d.tick(minutes=5)
    await d.tick(minutes=15)  # Awan: reminded, then guru BK told
    await d.tick(hours=2, minutes=40)
    await d.say("p1", "/offduty")  # 10:10: three hours
    async with d.app.store.transaction() as db:
        for answer in ("ok", "ok", "talk"):
            await audit.record(db, None, "peer_checkin", {"answer": answer}, d.app.clock.now())
    await d.tick(hours=5, minutes=50)  # 16:00 Tuesday: both days' shifts are over
    text = await week_report(d)
    assert "## Cakupan shift konselor sebaya, per minggu" in text
    header = _row(text, "Minggu mulai | Jam shift terjadwal")
    assert "Jam shift diambil" in header and "Tidak datang" in header
    section = "## Cakupan shift konselor sebaya, per minggu"
    week = _cells(_row(text, numbers.day("2026-11-23", "id"), section))
    assert week[1:] == ["16,0", "8,0", "3,0", "1"]  # Mon + Tue planned, Tue taken
    earlier = _cells(_row(text, numbers.day("2026-11-16", "id"), section))
    assert earlier[1:] == ["24,0", "0,0", "0,0", "0"]  # Wed 18/11 to Fri 20/11: nobody
    assert "Bintang" not in text and "Awan" not in text  # no names in the report
    assert _row(text, "Baik-baik saja").endswith("| <5 |")  # how peers feel: protected
    assert _row(text, "Ingin ngobrol dengan guru BK").endswith("| <5 |")
    english = await week_report(d, "en")
    assert "Peer supporters' shift coverage, per week" in english
    assert "| Shift hours covered |" in english or "Shift hours covered" in english
