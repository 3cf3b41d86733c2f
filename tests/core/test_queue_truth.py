"""What a student waiting for a peer is told is true (issue #13, an outside tester: "Kamu
nomor 1 di antrean" when no peer was on duty at all): a place in the queue only when peers are
on duty and busy; otherwise that nobody is on duty, when guru BK gets the story instead, and
the hotlines for what cannot wait. Transcripts in id and en."""

from __future__ import annotations

import pytest

from tests.conftest import enrol
from tests.dialog import Dialog, to

INTAKE = {
    "id": ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku berantem sama sahabatku",
           "[Lumayan berat]", "[Nggak, aman]"],
    "en": ["hi", "[English, please]", "[OK, let's go]", "[Friends]",
           "I had a fight with my best friend", "[Quite heavy]", "[No, all safe]"],
}
NOBODY = {"id": ("belum ada konselor sebaya yang bertugas", "20 menit", "guru BK", "119 ext 8"),
          "en": ("No peer supporter is on duty", "20 minutes", "school counselor",
                 "119 ext 8")}
QUEUE = {"id": "Kamu nomor 1 di antrean", "en": "You are number 1 in the queue"}


async def _intake(d: Dialog, who: str, lang: str) -> list[str]:
    said: list[str] = []
    for line in INTAKE[lang]:
        sent = await (d.press(who, line[1:-1]) if line.startswith("[") else d.say(who, line))
        said += to(sent, who)
    return said


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_no_peer_on_duty_during_the_shift_is_said_not_a_place_in_the_queue(
        dialog: Dialog, lang: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "peer", "peer", "Bintang")
    await dialog.say("peer", "/offduty")  # the roster's shift runs, but nobody is on duty
    said = await _intake(dialog, "student", lang)
    assert not any(QUEUE[lang] in s for s in said)
    told = next(s for s in said if NOBODY[lang][0] in s)
    assert all(part in told for part in NOBODY[lang])  # when, who instead, the hotlines
    await dialog.tick(minutes=10)
    later = to(await dialog.tick(minutes=10), "bk")  # and it is true: guru BK gets it
    assert any("#" in s for s in later)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_place_in_the_queue_is_said_only_when_peers_on_duty_are_busy(
        dialog: Dialog, lang: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "peer", "peer", "Bintang")
    await dialog.say("peer", "/onduty")
    await _intake(dialog, "other", "id")  # the peer's capacity (config.yaml: 1) is full
    await dialog.press("peer", "Terima")
    said = await _intake(dialog, "student", lang)
    assert any(QUEUE[lang] in s for s in said), said
    assert not any(NOBODY[lang][0] in s for s in said)
