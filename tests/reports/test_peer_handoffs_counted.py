"""The report counts the cases handed to peer supporters (an outside tester: "0 ke konselor
sebaya" while peers had taken cases): a case a peer took stays a peer case in the report when
guru BK later takes it over (/ambil), so the figure is the peers' work; a case that became a
crisis (the peer's /eskalasi starts the crisis ladder) is counted as a crisis. From real chats,
not seeded rows."""

from __future__ import annotations

from tests.conftest import enrol
from tests.core.test_handoff import PEER_CASE
from tests.dialog import Dialog, case_of
from tests.reports.weekly import week_report


async def _peer_cases(d: Dialog, then: list[str]) -> None:
    """One peer case per entry, taken by the peer offered it, then: "done" (/selesai),
    "ambil" (guru BK takes it over) or "eskalasi" (the peer passes it on)."""
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await enrol(d.app, "p1", "peer", "Bintang")
    await d.say("p1", "/onduty")
    for i, what in enumerate(then):
        await d.play([(f"s{i}", s) for s in PEER_CASE])
        await d.press("p1", "Terima")
        code = (await case_of(d.app, f"s{i}")).code
        if what == "ambil":
            await d.say("bk", f"/ambil {code}")
        elif what == "eskalasi":
            await d.say("p1", "/eskalasi butuh guru BK")
        else:
            await d.say("p1", "/selesai")


async def _summary(d: Dialog) -> str:
    [summary, _chart] = [m for m in await d.say("bk", "/laporan") if m.address == "bk"]
    return summary.text


async def test_cases_peers_took_are_counted_as_handed_to_peers(dialog: Dialog) -> None:
    await _peer_cases(dialog, ["done"] * 6)
    assert "ringan ke konselor sebaya: 6" in await _summary(dialog)


async def test_peer_cases_taken_over_or_passed_on_still_count_for_peers(
        dialog: Dialog) -> None:
    d = dialog
    await _peer_cases(d, ["ambil"] * 4 + ["done"] * 2)
    summary = await _summary(d)
    assert "ringan ke konselor sebaya: 6" in summary and "ke guru BK: 0" in summary, summary
    assert "| Ke konselor sebaya | 6 |" in await week_report(d)


async def test_a_peer_case_passed_on_as_a_crisis_counts_as_a_crisis(dialog: Dialog) -> None:
    d = dialog
    await _peer_cases(d, ["eskalasi"] + ["done"] * 5)
    assert "| Kasus krisis (peringatan ke guru BK) | <5 |" in await week_report(d)
    assert "| Ke konselor sebaya | 5 |" in await week_report(d)
