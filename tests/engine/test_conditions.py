"""`when:` conditions: safe, small, and False (not a crash) on values not yet set."""

from __future__ import annotations

import pytest

from bot.engine.conditions import Condition, ConditionSyntaxError


@pytest.mark.parametrize(("source", "values", "expected"), [
    ("weight == 3", {"weight": 3}, True),
    ("weight == 3", {"weight": 2}, False),
    ("topic == 'perundungan' and weight >= 3", {"topic": "perundungan", "weight": 3}, True),
    ("topic in ('keluarga', 'perasaan')", {"topic": "perasaan"}, True),
    ("not danger", {"danger": False}, True),
    ("danger or weight > 2", {"danger": False, "weight": 1}, False),
    ("weight < 3", {}, False),  # None < 3 is a TypeError: treated as not matching
    ("1 < weight <= 3", {"weight": 2}, True),
])
def test_evaluates(source, values, expected) -> None:
    assert Condition(source)(values) is expected


@pytest.mark.parametrize("source", [
    "__import__('os').system('id')", "weight.bit_length()", "open('x')", "[x for x in y]",
    "lambda: 1", "a if b else c", "weight +",
])
def test_rejects_anything_outside_the_language(source) -> None:
    with pytest.raises(ConditionSyntaxError):
        Condition(source)
