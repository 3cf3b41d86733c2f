"""The worked example in docs/flows.md loads and behaves as the page says."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.effects import OpenCase
from bot.core.keys import UserKey
from bot.engine.catalog import load_catalogs
from bot.engine.lint import lint_flow
from bot.engine.loader import load_flow
from bot.engine.machine import FlowMachine
from bot.engine.turn import FlowTurn
from tests.conftest import ROOT

LANGS = ("id", "en")


def test_worked_example_loads_lints_clean_and_routes(project: Path, tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "checkin.yaml"
    path.write_text(example, encoding="utf-8")
    catalog = load_catalogs(project / "flows" / "texts", LANGS, "id")
    for lang in LANGS:
        catalog.texts[lang].update({f"checkin.{k}": k for k in ("ask", "btn_ok", "btn_bad",
                                                                 "thanks")})
    flow = load_flow(path, catalog, LANGS)
    assert lint_flow(flow, catalog, LANGS) == []

    machine = FlowMachine(flow)
    turn = FlowTurn(student=UserKey("s"), lang="id", variables={"mood": "buruk"},
                    catalog=catalog, context={}, input_text="lagi sedih")
    turn.vars["story"] = "lagi sedih"
    machine.run(turn, "story", "text_input")
    assert turn.state == "thanks" and turn.finished
    [case] = [e for e in turn.effects if isinstance(e, OpenCase)]
    assert (case.route, case.topic, case.weight) == ("peer", "perasaan", 2)
