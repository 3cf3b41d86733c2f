"""Only the staff member who holds a case now may add a note to it. One who handed it over
(guru BK took it over with /ambil) is told plainly that nothing was saved and who holds it now,
by role, never by name (an outside tester: the former holder got a confusing "no case")."""

from __future__ import annotations

import pytest

from tests.core.test_handoff import case_of, d, open_peer_case, team, to  # noqa: F401
from tests.dialog import Dialog

T = {
    "id": {"note": "/catatan", "lang": [], "refused": "TIDAK disimpan", "holder": "guru BK",
           "saved": "Catatan disimpan"},
    "en": {"note": "/note", "lang": [("p1", "/language"), ("p1", "[English]")],
           "refused": "NOT saved", "holder": "counselor", "saved": "Note saved"},
}


async def _notes(dialog: Dialog) -> int:
    async with dialog.app.store.read() as db:
        [(n,)] = await db.execute_fetchall("SELECT COUNT(*) FROM staff_notes")
    return int(n)


async def _handed_over(dialog: Dialog, lang: str) -> str:
    await dialog.play(T[lang]["lang"])
    await open_peer_case(dialog)
    await dialog.press("p1", "Terima" if lang == "id" else "Accept")
    code = (await case_of(dialog.app)).code
    await dialog.say("bk", f"/ambil {code}")
    return code


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_former_holder_is_refused_and_told_who_holds_it(d: Dialog,  # noqa: F811
                                                                  lang: str) -> None:
    t = T[lang]
    code = await _handed_over(d, lang)
    for command in (f"{t['note']} dia sudah lebih tenang", f"{t['note']} #{code} sudah tenang"):
        sent = await d.say("p1", command)
        [told] = to(sent, "p1")
        assert t["refused"] in told and code in told and t["holder"] in told, told
        assert "Bu Rina" not in told  # the role, never the name
    assert await _notes(d) == 0


async def test_the_current_holder_still_adds_notes(d: Dialog) -> None:  # noqa: F811
    await _handed_over(d, "id")
    sent = await d.say("bk", "/catatan orang tua sudah dihubungi")
    assert any("Catatan disimpan" in s for s in to(sent, "bk"))
    assert await _notes(d) == 1
