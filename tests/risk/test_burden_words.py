"""The burden words of SI.passive_more2 (bot/risk/rules/lexicon.yaml `burden_word`): being a
burden to others beside "better", not "susah" (hard) alone, which a peer's "banyak yg lebih susah"
("others have it harder", minimising but no danger) once turned into a crisis in /praktik."""

from __future__ import annotations

import pytest

from bot.risk.detector import Detector

DETECTOR = Detector.default()


@pytest.mark.parametrize("text", [
    "kamu harusnya lebih bersyukur aja sih, banyak yg lebih susah",
    "soal yang ini lebih susah dari kemarin", "lebih susah dari yang aku kira, tapi seru",
])
def test_harder_is_not_a_burden(text: str) -> None:
    assert DETECTOR.screen(text).level != "crisis", DETECTOR.screen(text).to_json()


@pytest.mark.parametrize("text", [
    "aku cuma nyusahin, mending aku ilang",
    "aku ngerepotin semua orang. mungkin lebih baik kalo aku gaada",
    "aku cuma beban, mending aku ilang",
])
def test_being_a_burden_beside_better_still_alerts(text: str) -> None:
    assert DETECTOR.screen(text).level == "crisis", DETECTOR.screen(text).to_json()
