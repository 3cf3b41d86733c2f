"""Answers a flow marks ``share: true`` reach the helper with the story (offer, guru BK's
notice, the case record /lihat reads); unmarked answers stay in the conversation only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.catalog import load_catalogs
from bot.engine.loader import load_flow
from bot.engine.shared import remember, with_shared
from bot.errors import FlowError
from tests.conftest import enrol
from tests.dialog import Dialog, case_of

CLASS_STATE = """
  kelas:
    prompt: {id: "Kamu kelas berapa?", en: "Which class are you in?"}
    input:
      save: kelas
      %s
      go: weight
"""
SHARED = "share: true\n      label: {id: \"Kelas\", en: \"Class\"}"


def _add_class_question(project: Path, share: str) -> None:
    path = project / "flows" / "intake.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      min_chars: 2\n      go: weight",
                        "      min_chars: 2\n      go: kelas")
    text = text.replace("        set: {story: \"\"}\n        go: weight",
                        "        set: {story: \"\"}\n        go: kelas")
    text = text.replace("\n  weight:\n", CLASS_STATE % share + "\n  weight:\n")
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def project(project: Path, request) -> Path:
    _add_class_question(project, getattr(request, "param", SHARED))
    return project


def _b(dialog: Dialog, key: str, lang: str = "id") -> str:
    """A button press by its catalog key (the words may be reworded; the flow stays)."""
    return f"[{dialog.app.core.catalog.get(key, lang)}]"


def to_peer_id(d: Dialog, weight: str = "intake.btn.weight2") -> list[tuple[str, str]]:
    return [
        ("student", "halo"), ("student", _b(d, "intake.btn.consent_ok")),
        ("student", _b(d, "topic.pertemanan")),
        ("student", "aku lagi diem-dieman sama sahabatku"),
        ("bot>student", "Kamu kelas berapa?"),
        ("student", "8B"),
        ("student", _b(d, weight)), ("student", _b(d, "intake.btn.safe")),
    ]


def to_counselor_en(d: Dialog) -> list[tuple[str, str]]:
    return [
        ("student", "hi"), ("student", "[English, please]"),
        ("student", _b(d, "intake.btn.consent_ok", "en")),
        ("student", _b(d, "topic.perundungan", "en")), ("student", "they take my money every day"),
        ("bot>student", "Which class are you in?"),
        ("student", "9A"),
        ("student", _b(d, "intake.btn.weight3", "en")), ("student", _b(d, "intake.btn.safe", "en")),
        ("bot>counselor", "they take my money every day"),
        ("bot>counselor", "Kelas: 9A"),  # guru BK reads the label in the school's language
    ]


async def _staff(dialog: Dialog) -> None:
    await enrol(dialog.app, "peer", "peer", "Bintang")
    await enrol(dialog.app, "counselor", "counselor", "Bu Rina")


async def test_shared_answer_reaches_the_peer_and_the_case_record_in_bahasa(dialog) -> None:
    await _staff(dialog)
    await dialog.play([*to_peer_id(dialog), ("bot>peer", "aku lagi diem-dieman sama sahabatku"),
                       ("bot>peer", "Kelas: 8B")])
    case = await case_of(dialog.app)
    assert case is not None and case.story.endswith("Kelas: 8B")  # what /lihat shows as story


async def test_shared_answer_reaches_guru_bk_in_english(dialog) -> None:
    await _staff(dialog)
    await dialog.play(to_counselor_en(dialog))
    assert (await case_of(dialog.app)).story.endswith("Kelas: 9A")


@pytest.mark.parametrize("project", [""], indirect=True)
async def test_an_answer_not_marked_shared_stays_with_the_student(dialog) -> None:
    await _staff(dialog)
    await dialog.play([*to_peer_id(dialog), ("bot>peer", "aku lagi diem-dieman")])
    assert all("8B" not in m.text for m in dialog.channel.sent if m.address == "peer")
    assert "8B" not in (await case_of(dialog.app)).story


def test_the_shared_block_is_added_once_after_the_story() -> None:
    variables: dict = {}
    remember(variables, "Kelas", "8A")
    remember(variables, "Kelas", "8B")  # asked again: the new answer replaces the old
    story = with_shared("cerita", variables)
    assert story == "cerita\n\nKelas: 8B" and with_shared(story, variables) == story
    assert with_shared("", variables) == "Kelas: 8B" and with_shared("x", {}) == "x"


@pytest.mark.parametrize(("extra", "message"), [
    ("share: yes please", "share must be true or false"),
    ("label: {id: \"Kelas\", en: \"Class\"}", "label without share: true"),
])
def test_share_and_label_are_checked_at_load(tmp_path: Path, extra: str, message: str) -> None:
    from tests.conftest import ROOT

    catalog = load_catalogs(ROOT / "flows" / "texts", ("id", "en"), "id")
    path = tmp_path / "f.yaml"
    path.write_text("flow: f\nstart: a\nstates:\n  a:\n    prompt: intake.topic\n    input:\n"
                    f"      save: kelas\n      {extra}\n      go: b\n  b:\n"
                    "    prompt: intake.topic\n    end: true\n")
    with pytest.raises(FlowError, match=message):
        load_flow(path, catalog, ("id", "en"))


async def test_shared_answer_survives_the_direct_safety_question(dialog) -> None:
    """The heaviest weight asks the safety question first (a service, not the flow's route)."""
    await _staff(dialog)
    await dialog.play([*to_peer_id(dialog, "intake.btn.weight3"),
                       ("student", _b(dialog, "ask.btn_no")), ("bot>peer", "Kelas: 8B")])


async def test_shared_answer_goes_with_a_crisis_written_mid_intake(dialog) -> None:
    await _staff(dialog)
    await dialog.play([*to_peer_id(dialog)[:6], ("student", "aku pengen mati aja")])
    assert (await case_of(dialog.app)).story.endswith("Kelas: 8B")
