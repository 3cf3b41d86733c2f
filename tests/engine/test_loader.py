"""Flow load errors are fatal and precise: one test per error kind, each with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.catalog import load_catalogs
from bot.engine.loader import load_flow, load_flows
from bot.errors import FlowError

LANGS = ("id", "en")
GOOD = """\
flow: mini
start: ask
states:
  ask:
    prompt: intake.topic
    buttons:
      - {id: a, text: topic.belajar, set: {topic: belajar}, go: done}
    input:
      save: story
      go: done
  done:
    prompt: intake.bye
    end: true
"""


@pytest.fixture
def catalog(project: Path):
    return load_catalogs(project / "flows" / "texts", LANGS, "id")


def _load(tmp_path: Path, catalog, text: str):
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return load_flow(path, catalog, LANGS)


def _error(tmp_path: Path, catalog, text: str) -> FlowError:
    with pytest.raises(FlowError) as err:
        _load(tmp_path, catalog, text)
    assert err.value.path.endswith("mini.yaml")
    return err.value


def test_good_flow_loads(tmp_path, catalog) -> None:
    flow = _load(tmp_path, catalog, GOOD)
    assert flow.start == "ask" and set(flow.states) == {"ask", "done"}


def test_unknown_target_state(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("go: done}", "go: dnoe}"))
    assert err.line == 7 and "unknown state 'dnoe'" in err.what
    assert "did you mean 'done'" in err.what
    assert err.where == "state 'ask'"


def test_unknown_action(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("      save: story\n",
                                                 "      save: story\n      sey: intake.bye\n"))
    assert err.line == 10 and "unknown action 'sey'" in err.what and "say" in err.hint


def test_missing_translation_of_a_catalog_key(tmp_path, catalog) -> None:
    catalog.texts["en"].pop("intake.bye")
    err = _error(tmp_path, catalog, GOOD)
    assert err.line == 12 and "no 'en' translation" in err.what and "en.yaml" in err.hint


def test_missing_translation_of_inline_text(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("prompt: intake.bye", 'prompt: {id: "Dadah"}'))
    assert err.line == 12 and "inline text has no 'en'" in err.what


def test_duplicate_state(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD + "  done:\n    end: true\n")
    assert err.line == 14 and "duplicate" in err.what


def test_bad_yaml(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("    prompt: intake.topic", "    prompt: [oops"))
    assert err.line is not None and err.line >= 5 and "invalid YAML" in err.what


def test_start_state_missing(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("start: ask", "start: asj"))
    assert err.line == 2 and "did you mean 'ask'" in err.what


def test_unknown_state_key(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("    end: true", "    ends: true"))
    assert err.line == 13 and "unknown state key 'ends'" in err.what


def test_bad_condition(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace(
        "      save: story\n      go: done", "      save: story\n      then:\n"
        "        - when: __import__('os')\n          go: done"))
    assert err.line == 11 and "not allowed in a condition" in err.what


def test_button_without_text(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("{id: a, text: topic.belajar, ", "{id: a, "))
    assert err.line == 7 and "needs `text:`" in err.what


def test_yes_as_button_id_explains_yaml_booleans(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("{id: a,", "{id: yes,"))
    assert err.line == 7 and "quote it" in err.hint


def test_bad_action_argument(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("set: {topic: belajar}", "route: ustadz"))
    assert err.line == 7 and "unknown route 'ustadz'" in err.what and "peer" in err.hint


def test_duplicate_flow_name_across_files(tmp_path, catalog) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(FlowError, match=r"already used by a\.yaml"):
        load_flows(tmp_path, catalog, LANGS)


def test_missing_catalog_file(tmp_path) -> None:
    (tmp_path / "id.yaml").write_text("a: b\n")
    with pytest.raises(FlowError, match="text catalog for language 'en' is missing"):
        load_catalogs(tmp_path, LANGS, "id")


def test_catalog_value_must_be_text(tmp_path) -> None:
    (tmp_path / "id.yaml").write_text("a:\n  b: [1, 2]\n")
    with pytest.raises(FlowError) as err:
        load_catalogs(tmp_path, ("id",), "id")
    assert err.value.line == 2 and err.value.where == "a.b"


def test_error_message_reads_file_line_state_and_fix(tmp_path, catalog) -> None:
    err = _error(tmp_path, catalog, GOOD.replace("go: done}", "go: dnoe}"))
    assert str(err).startswith(f"{tmp_path / 'mini.yaml'}:7: state 'ask': go to unknown state")
    assert "Fix: add that state or fix the name" in str(err)
