"""Every rule's examples trigger it and its not_examples do not: one test per rule entry."""

from __future__ import annotations

import pytest

from bot.risk.detector import Detector
from bot.risk.rules import load_rules

DETECTOR = Detector(model=None)
RULES = load_rules().rules


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_examples(rule) -> None:
    assert rule.examples, f"{rule.id} needs at least one example"
    for text in rule.examples:
        result = DETECTOR.screen(text)
        assert rule.id in result.rules, (text, result.rules, result.suppressions)
    for text in rule.not_examples:
        assert rule.id not in DETECTOR.screen(text).rules, text


def test_every_rule_kind_and_level_is_present() -> None:
    levels = {r.level for r in RULES}
    categories = {r.category for r in RULES}
    assert levels == {"crisis", "concern"}
    assert {"SI", "SH", "ABUSE", "SEXUAL", "BULLY_DANGER", "HARM_OTHERS"} <= categories
