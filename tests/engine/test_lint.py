"""Lint warnings of `sebaya check-flows`: soft problems, reported with file and line."""

from __future__ import annotations

from pathlib import Path

from bot.engine.catalog import load_catalogs
from bot.engine.lint import lint_flow
from bot.engine.loader import load_flow, load_flows

LANGS = ("id", "en")


def _lint(tmp_path: Path, project: Path, text: str, extra_texts: dict | None = None):
    catalog = load_catalogs(project / "flows" / "texts", LANGS, "id")
    for lang in LANGS:
        catalog.texts[lang].update(extra_texts or {})
    path = tmp_path / "f.yaml"
    path.write_text(text)
    return [w.render() for w in lint_flow(load_flow(path, catalog, LANGS), catalog, LANGS)]


BASE = """\
flow: f
start: a
states:
  a:
    prompt: intake.topic
    buttons:
      - {id: x, text: topic.belajar, go: b}
  b:
    prompt: intake.bye
    end: true
"""


def test_shipped_flows_have_no_warnings(project: Path) -> None:
    catalog = load_catalogs(project / "flows" / "texts", LANGS, "id")
    for flow in load_flows(project / "flows", catalog, LANGS).values():
        assert lint_flow(flow, catalog, LANGS) == []


def test_clean_flow_has_no_warnings(tmp_path, project) -> None:
    assert _lint(tmp_path, project, BASE) == []


def test_unreachable_state(tmp_path, project) -> None:
    warnings = _lint(tmp_path, project, BASE + "  c:\n    prompt: intake.bye\n    end: true\n")
    assert warnings == [f"{tmp_path / 'f.yaml'}:11: warning: state 'c': unreachable: no button, "
                        "input or on_enter leads here"]


def test_dead_end_without_end(tmp_path, project) -> None:
    warnings = _lint(tmp_path, project, BASE.replace("    end: true\n", ""))
    assert len(warnings) == 1 and ":8:" in warnings[0] and "dead end" in warnings[0]


def test_button_label_equal_to_a_global_command(tmp_path, project) -> None:
    warnings = _lint(tmp_path, project, BASE.replace("text: topic.belajar", "text: x.stop"),
                     {"x.stop": "Stop"})
    assert [w.split("warning: ")[1] for w in warnings] == [
        "state 'a': button label 'stop' (id) equals a global command",
        "state 'a': button label 'stop' (en) equals a global command",
    ]
    assert all(":7:" in w for w in warnings)


def test_text_over_telegram_limit(tmp_path, project) -> None:
    warnings = _lint(tmp_path, project, BASE.replace("prompt: intake.bye", "prompt: x.long"),
                     {"x.long": "panjang " * 600})
    assert len(warnings) == 2 and all("over 4096" in w for w in warnings)  # id and en


def test_every_branch_guarded_leaves_no_fallback(tmp_path, project) -> None:
    text = BASE.replace("      - {id: x, text: topic.belajar, go: b}",
                        "      - id: x\n        text: topic.belajar\n        then:\n"
                        "          - {when: weight == 3, go: b}")
    warnings = _lint(tmp_path, project, text)
    assert len(warnings) == 1 and "add a last branch without it" in warnings[0]
