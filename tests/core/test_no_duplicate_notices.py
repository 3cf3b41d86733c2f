"""No duplicate offers and no duplicate "nobody on duty" notices (issue #13, Why: "duplicate
offers (both rounds in the same minute) and duplicate off-duty notices"). The stale-timer
cause of the doubled offers is guarded in tests/runtime/test_timers.py
(test_a_stale_fire_never_claims_the_next_rounds_timer); these are the conversations."""

from __future__ import annotations

import pytest

from tests.conftest import enrol
from tests.dialog import Dialog

INTAKE = {"id": ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku berantem sama sahabatku",
                 "[Lumayan berat]", "[Nggak, aman]"],
          "en": ["hi", "[English, please]", "[OK, let's go]", "[Friends]",
                 "I had a fight with my best friend", "[Quite heavy]", "[No, all safe]"]}
NOBODY = {"id": "belum ada konselor sebaya yang bertugas",
          "en": "No peer supporter is on duty"}
OFFER = "Ada teman yang ingin cerita"


def _count(d: Dialog, who: str, fragment: str) -> int:
    return sum(fragment in m.text for m in d.channel.sent if m.address == who)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_student_after_school_hours_is_told_once_that_no_peer_is_on_duty(
        dialog: Dialog, lang: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "peer", "peer", "Bintang")
    dialog.app.clock.advance(hours=14)  # 22:00 in Jakarta: no shift
    await dialog.tick(seconds=1)
    await dialog.play([("student", line) for line in INTAKE[lang]])
    for text in ("halo?", "masih ada orang?", "aku tunggu ya"):
        await dialog.say("student", text)
        await dialog.tick(minutes=20)
    assert _count(dialog, "student", NOBODY[lang]) == 1


async def test_a_peer_gets_one_offer_per_round_even_when_duty_changes_in_the_same_minute(
        dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "pa", "peer", "Bintang")
    await dialog.play([("student", line) for line in INTAKE["id"]])
    assert _count(dialog, "pa", OFFER) == 1
    await dialog.say("pa", "/onduty")  # a free peer moves the queue: not this offered case
    await enrol(dialog.app, "pb", "peer", "Awan")
    await dialog.say("pb", "/onduty")
    await dialog.tick(seconds=30)
    assert _count(dialog, "pa", OFFER) == 1 and _count(dialog, "pb", OFFER) == 0
    await dialog.tick(minutes=10)  # round 1: everyone on duty, once each
    assert _count(dialog, "pa", OFFER) == 2 and _count(dialog, "pb", OFFER) == 1
