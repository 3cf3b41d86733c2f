"""``training.practice_required``: a finished practice chat (/praktik) is part of the training
gate before guru BK's approval, in id and en, and again for the refresher after an approval
expired. The safety invariants are checked after every step (tests/dialog.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot import staffcli
from bot.store import audit, users
from tests.conftest import SECRET, enrol
from tests.core.test_practice import PRACTICE, REPLIES, SCENARIO
from tests.core.test_training import join_peer, pass_training
from tests.dialog import Dialog, to


@pytest.fixture
def project(project: Path) -> Path:
    """The shipped project with the practice chat required."""
    path = project / "config.yaml"
    text = path.read_text(encoding="utf-8")
    assert "practice_required: false" in text
    path.write_text(text.replace("practice_required: false", "practice_required: true"),
                    encoding="utf-8")
    return project


@pytest.fixture(autouse=True)
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


async def practise(d: Dialog, lang: str, who: str = "dewi") -> list:
    await d.say(who, PRACTICE[lang])
    await d.press(who, SCENARIO["ujian"][lang])
    sent: list = []
    for _ in range(3):
        sent = await d.say(who, REPLIES[lang][3])
    return sent


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_with_practice_required_approval_waits_for_a_finished_practice_chat(
        dialog: Dialog, config, lang: str) -> None:
    d = dialog
    assert config.training.practice_required
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await join_peer(d, config, lang=lang)
    sent = await pass_training(d, lang=lang)
    assert any(PRACTICE[lang] in t for t in to(sent, "dewi"))
    assert to(sent, "bk") == []  # guru BK is asked only once the practice is done
    sent = await d.say("dewi", "/onduty")
    assert PRACTICE[lang] in to(sent, "dewi")[0]
    sent = await d.say("dewi", "/training" if lang == "en" else "/latihan")
    assert PRACTICE[lang] in to(sent, "dewi")[0]  # the modules are not started again
    sent = await d.say("bk", "/setujui Bintang")
    assert "belum lulus" in to(sent, "bk")[0]
    assert (await staffcli.approve(config, "Bintang", clock=d.app.clock))[0] == "untrained"
    sent = await d.say("dewi", PRACTICE[lang])
    await d.say("dewi", f"{PRACTICE[lang]} stop")  # a stopped practice does not count
    sent = await practise(d, lang)
    assert any(("training is complete" if lang == "en" else "pelatihanmu lengkap") in t
               for t in to(sent, "dewi"))
    [notice] = to(sent, "bk")
    assert "/setujui Bintang" in notice
    await d.say("bk", "/setujui Bintang")
    sent = await d.say("dewi", "/onduty")
    assert ("on duty" if lang == "en" else "bertugas") in to(sent, "dewi")[0]
    async with d.app.store.read() as db:
        [pending] = await audit.rows(db, "training_practice_pending")
        [passed] = await audit.rows(db, "training_passed")
    assert pending["detail"] == {"modules": 5} and passed["detail"] == {"modules": 5}


async def test_a_practice_before_the_modules_counts_and_the_refresher_needs_a_new_one(
        dialog: Dialog, config) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await join_peer(d, config)
    await practise(d, "id")  # practised first, in the middle of the modules
    sent = await pass_training(d)
    assert "/setujui Bintang" in to(sent, "bk")[0]
    await d.say("bk", "/setujui Bintang")
    d.app.clock.advance(days=184)
    await d.say("dewi", "/latihan")  # the refresher: the modules again
    sent = await pass_training(d)
    assert to(sent, "bk") == [] and any("/praktik" in t for t in to(sent, "dewi"))
    sent = await practise(d, "id")
    assert "/setujui Bintang" in to(sent, "bk")[0]
    async with d.app.store.read() as db:
        [peer] = [u for u in await users.staff(db) if u.role == "peer"]
    assert peer.trained_at > peer.approved_at  # refreshed: a new approval waits


async def test_a_peer_waiting_for_practice_is_trained_once_it_is_no_longer_required(
        dialog: Dialog, config) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await join_peer(d, config)
    await pass_training(d)
    d.app.core.policy = replace(d.app.core.policy, practice_required=False)  # config changed
    sent = await d.say("dewi", "/onduty")
    assert "/latihan" in to(sent, "dewi")[0] and "/praktik" not in to(sent, "dewi")[0]
    sent = await d.say("dewi", "/latihan")
    assert "/setujui Bintang" in to(sent, "bk")[0]
    await d.say("bk", "/setujui Bintang")
    assert "bertugas" in to(await d.say("dewi", "/onduty"), "dewi")[0]
