"""Rule files a guru BK edits fail clearly: file, line and what to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.risk.rules import RuleError, load_rules
from tests.conftest import ROOT

SHIPPED = ROOT / "bot" / "risk" / "rules"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(SHIPPED, tmp_path / "rules")
    return tmp_path / "rules"


def _append(folder: Path, name: str, text: str) -> int:
    path = folder / name
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


RULE = """
  - id: X.new
    category: SI
    patterns: ["{pattern}"]
    examples: ["x"]
"""


@pytest.mark.parametrize(("pattern", "message"), [
    ("@perasaan ~2 @die", "unknown class '@perasaan'"),
    ("~2 mati", "bad gap '~2'"),
    ("pengen ~99 mati", "bad gap '~99'"),
    ("aja? mati", "first element cannot be optional"),
])
def test_bad_pattern(rules_dir: Path, pattern: str, message: str) -> None:
    first = _append(rules_dir, "concern.yaml", RULE.format(pattern=pattern))
    with pytest.raises(RuleError) as err:
        load_rules(rules_dir)
    assert err.value.path.endswith("concern.yaml") and err.value.line == first + 3
    assert message in err.value.what


def test_unknown_rule_key(rules_dir: Path) -> None:
    first = _append(rules_dir, "crisis.yaml", RULE.format(pattern="mati") + "    levle: crisis\n")
    with pytest.raises(RuleError) as err:
        load_rules(rules_dir)
    assert err.value.line == first + 5 and "unknown key 'levle'" in err.value.what


def test_duplicate_rule_id(rules_dir: Path) -> None:
    _append(rules_dir, "concern.yaml", RULE.format(pattern="mati").replace("X.new", "SI.direct"))
    with pytest.raises(RuleError, match="duplicate rule ids"):
        load_rules(rules_dir)


def test_bad_yaml_in_lexicon(rules_dir: Path) -> None:
    _append(rules_dir, "lexicon.yaml", "classes: [oops\n")
    with pytest.raises(RuleError) as err:
        load_rules(rules_dir)
    assert err.value.path.endswith("lexicon.yaml") and "invalid YAML" in err.value.what


def test_a_new_class_word_teaches_every_rule_using_it(rules_dir: Path) -> None:
    from bot.risk.detector import Detector

    path = rules_dir / "lexicon.yaml"
    text = path.read_text().replace("  die: [mati,", "  die: [wafatkeun, mati,", 1)
    path.write_text(text)
    detector = Detector(load_rules(rules_dir), model=None)
    assert detector.screen("pengen wafatkeun aja").level == "crisis"
