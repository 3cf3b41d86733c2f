"""`sebaya check-rules`: the risk rules' examples run without pytest, failures named with file,
line and rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import ROOT


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "bot" / "risk" / "rules", tmp_path / "rules")
    return tmp_path / "rules"


def test_shipped_rules_pass_check_rules(capsys) -> None:
    assert main(["check-rules"]) == 0
    out = capsys.readouterr().out
    assert "example(s): all pass" in out and "Restart the bot" in out


def test_a_failing_example_and_not_example_are_named_with_file_line_and_rule(
        rules_dir: Path, capsys) -> None:
    path = rules_dir / "concern.yaml"
    before = path.read_text(encoding="utf-8")
    first = before.count("\n") + 1
    path.write_text(before + '\n  - id: X.new\n    category: SI\n    patterns: ["mati"]\n'
                    '    examples: ["pengen mati", "hidup itu indah"]\n'
                    '    not_examples: ["mati lampu lagi", "aku pengen mati"]\n',
                    encoding="utf-8")
    assert main(["check-rules", "--rules", str(rules_dir)]) == 1
    captured = capsys.readouterr()
    assert f"{path}:{first + 4}: rule X.new: example does not trigger it: 'hidup itu indah'" \
        in captured.out
    assert f"{path}:{first + 5}: rule X.new: not_example triggers it: 'aku pengen mati'" \
        in captured.out
    assert "'pengen mati'" not in captured.out.replace("'aku pengen mati'", "")
    assert "2 FAILED" in captured.err


def test_a_broken_rule_file_stops_with_file_and_line(rules_dir: Path, capsys) -> None:
    path = rules_dir / "crisis.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: X.bad\n    patterns: ["
                    "\"@perasaan ~2 @die\"]\n    examples: [\"x\"]\n", encoding="utf-8")
    assert main(["check-rules", "--rules", str(rules_dir)]) == 2
    assert "crisis.yaml:" in capsys.readouterr().err
