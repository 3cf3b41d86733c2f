"""The text catalogs, read once with issue #13's list in mind: natural Bahasa Indonesia (no
calques, one register), guru BK addressed as Bapak/Ibu, a safety question whose answers fit it,
and an idle nudge that is safe on a lock screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

TEXTS = Path(__file__).resolve().parents[2] / "flows" / "texts"


def _flat(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = str(value)
    return out


@pytest.fixture(scope="module")
def id_texts() -> dict[str, str]:
    return _flat(yaml.safe_load((TEXTS / "id.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def en_texts() -> dict[str, str]:
    return _flat(yaml.safe_load((TEXTS / "en.yaml").read_text(encoding="utf-8")))


def test_both_catalogs_have_the_same_keys(id_texts, en_texts) -> None:
    assert set(id_texts) == set(en_texts)


def test_no_calque_aku_dengar_kamu(id_texts) -> None:
    assert not [k for k, t in id_texts.items() if "dengar kamu" in t.casefold()]


def test_one_register_sudah_not_udah(id_texts) -> None:
    assert not [k for k, t in id_texts.items() if re.search(r"\budah\b", t.casefold())]


COUNSELOR_ONLY = ("risk.alert", "risk.alert_model", "risk.alert_escalated", "risk.taken_you",
                  "risk.already_yours", "staff.help", "supervision.taken",
                  "appointment.staff_pick",
                  "appointment.staff_proposed", "appointment.staff_rescheduled")


@pytest.mark.parametrize("key", COUNSELOR_ONLY)
def test_guru_bk_is_addressed_as_bapak_ibu(id_texts, key: str) -> None:
    text = id_texts[key].casefold()
    assert not re.search(r"\bkamu\b|\b(pesan|catatan|identitas|nama|diri|kasus|cerita)mu\b",
                         text), id_texts[key]


def test_the_safety_question_asks_one_thing_and_its_buttons_answer_it(id_texts,
                                                                      en_texts) -> None:
    for texts, yes, no in ((id_texts, "iya", "nggak"), (en_texts, "yes", "no")):
        question = texts["intake.safety"]
        assert question.count("?") == 1, question  # one question, then examples
        assert texts["intake.btn.unsafe"].casefold().startswith(yes)
        assert texts["intake.btn.safe"].casefold().startswith(no)
        # the answers name what was asked (danger), not only one half of it
        assert "bahaya" in texts["intake.btn.unsafe"] or "danger" in texts["intake.btn.unsafe"]


@pytest.mark.parametrize("key", ["core.nudge", "handoff.idle_student"])
def test_reminders_are_safe_on_a_lock_screen(id_texts, en_texts, key: str) -> None:
    for texts in (id_texts, en_texts):
        first = texts[key].splitlines()[0].casefold()
        assert not any(w in first for w in ("bahaya", "nyawa", "bunuh", "krisis", "danger",
                                            "crisis", "hurt", "life")), texts[key]


def test_the_language_button_names_the_other_language(id_texts, en_texts) -> None:
    assert "english" in id_texts["intake.btn.other_language"].casefold()
    assert "indonesia" in en_texts["intake.btn.other_language"].casefold()


PEERS_AND_GURU_BK = ("core.staff_hello", "staff.on_duty", "staff.off_duty", "staff.no_case",
                     "staff.closed", "staff.focus_set", "staff.student_unreachable",
                     "staff.reply_not_held", "staff.which_case", "staff.which_case_send",
                     "staff.not_your_case", "staff.were_unreachable", "enrol.welcome",
                     "enrol.already_staff")


@pytest.mark.parametrize("key", PEERS_AND_GURU_BK)
def test_texts_read_by_peers_and_guru_bk_need_no_pronoun(id_texts, key: str) -> None:
    """A 14-year-old peer is not "Bapak/Ibu", and guru BK is not "kamu"."""
    text = id_texts[key].casefold()
    assert "bapak/ibu" not in text, id_texts[key]
    assert not re.search(r"\bkamu\b|\b(pesan|catatan|identitas|nama|diri|kasus|cerita)mu\b",
                         text), id_texts[key]


def test_english_texts_name_english_commands_that_exist(en_texts) -> None:
    """An English-speaking student is told /done, /switch, /skip ..., and each one works."""
    from bot.core.feature import STAFF, STUDENT
    from bot.core.features import standard_registry

    registry = standard_registry()  # staff commands with an English alias have an Indonesian
    indonesian = {c.name for c in registry.commands() if c.audience == STAFF and c.aliases} | {
        "selesai", "ganti", "lewati", "janji", "hapus", "bahasa", "bantuan"}
    named = {m for t in en_texts.values() for m in re.findall(r"(?<![\w/])/([a-z]+)\b", t)}
    assert not named & indonesian, named & indonesian
    known = registry.names(STUDENT) | registry.names(STAFF) | {"onduty", "offduty"}
    assert named <= known, named - known


def test_the_capitalised_who_starts_a_sentence(id_texts) -> None:
    """core.who_peer/who_counselor read "Konselor sebaya"/"Guru BK": only at a sentence's start
    (never "dan Konselor sebaya akan ...")."""
    for key, text in id_texts.items():
        if key.startswith("core.") and "{who}" in text:
            assert re.search(r"(^|[.!?💛🙏]\s+)\{who\}", text), (key, text)
            assert not re.search(r"\w\s+\{who\}", text), (key, text)
