"""A peer's words screened like a student's (bot/core/peer_risk.py), but never turned into a
crisis on the learned model's word alone: a peer asking for the student's Instagram in a
friendship case once raised a crisis (an outside tester). Dialog transcripts in id and en."""

from __future__ import annotations

import pytest

from bot.core import peer_risk
from bot.risk.detector import Detector
from tests.core.test_coaching import EXPLAIN, HELD, chat
from tests.core.test_screening_gaps import alerts
from tests.dialog import Dialog, case_of, to

CONTACT_REQUEST = "eh btw ig kamu apa? biar aku follow, nanti kita dm-an aja"


def test_the_tester_message_is_a_crisis_only_by_the_model() -> None:
    verdict = Detector.default().screen(CONTACT_REQUEST)  # the premise of the tests below
    assert verdict.level == "crisis" and verdict.by_model and not verdict.rules


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_peers_contact_request_the_model_alone_flags_is_no_crisis(
        dialog: Dialog, lang: str) -> None:
    await chat(dialog, lang)
    sent = await dialog.say("p1", CONTACT_REQUEST)
    assert alerts(sent) == [] and to(sent, "bk") == []  # guru BK is not alerted
    student = " ".join(to(sent, "student"))
    assert "112" not in student and "Guru BK" not in student and CONTACT_REQUEST not in student
    [told] = to(sent, "p1")  # the peer is coached, not told they wrote about suicide
    assert "bunuh diri" not in told and "suicide" not in told
    assert HELD[lang] in told and EXPLAIN["identity"][lang] in told
    case = await case_of(dialog.app)
    assert case.level != "crisis" and case.route == "peer"


class _Verdict:
    def __init__(self, level: str, rules: list[str], by_model: bool) -> None:
        self.level, self.rules, self.by_model = level, rules, by_model
        self.categories, self.spans = ["SI"], []


class _Screen:
    def __init__(self, verdict: _Verdict) -> None:
        self.verdict = verdict

    def screen(self, text: str) -> _Verdict:
        return self.verdict


class _Ctx:
    def __init__(self, verdict: _Verdict) -> None:
        self.risk = _Screen(verdict)

    def crisis_words(self, text: str) -> bool:
        return self.risk.screen(text).level == "crisis"


def test_only_a_rules_crisis_counts_for_a_peer() -> None:
    assert not peer_risk.rule_crisis(_Ctx(_Verdict("crisis", [], True)), "x")  # type: ignore[arg-type]
    assert peer_risk.rule_crisis(_Ctx(_Verdict("crisis", ["SI.direct"], False)), "x")  # type: ignore[arg-type]
    assert not peer_risk.rule_crisis(_Ctx(_Verdict("concern", ["SI.x"], False)), "x")  # type: ignore[arg-type]


async def test_a_peer_quoting_the_students_risk_words_still_goes_to_guru_bk(
        dialog: Dialog) -> None:
    await chat(dialog, "id")
    words = "tadi dia bilang mau bunuh diri, aku harus gimana?"
    sent = await dialog.say("p1", words)
    assert not any(words in t for t in to(sent, "student"))
    assert any("bunuh diri" in t for t in to(sent, "bk"))
    assert (await case_of(dialog.app)).level == "crisis"
