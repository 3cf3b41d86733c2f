"""One transitions machine per flow; a model per event that is never left resident."""

from __future__ import annotations

from pathlib import Path

from bot.core.effects import OpenCase, Send
from bot.core.keys import UserKey
from bot.engine.catalog import load_catalogs
from bot.engine.loader import load_flows
from bot.engine.machine import FlowMachine
from bot.engine.turn import FlowTurn


def _machine(project: Path):
    catalog = load_catalogs(project / "flows" / "texts", ("id", "en"), "id")
    flow = load_flows(project / "flows", catalog, ("id", "en"))["intake"]
    return FlowMachine(flow), catalog


def _turn(catalog, **variables) -> FlowTurn:
    return FlowTurn(student=UserKey("s"), lang="id", variables=variables, catalog=catalog,
                    context={"school": "SMP X", "hotlines": "112"})


def test_machine_is_configured_as_designed(project) -> None:
    machine, _ = _machine(project)
    assert machine.machine.auto_transitions is False
    assert machine.machine.has_queue == "model"
    assert machine.machine.models == []


def test_models_do_not_stay_resident(project) -> None:
    machine, catalog = _machine(project)
    for _ in range(100):
        turn = _turn(catalog)
        machine.run(turn, "welcome", "press_ok")
        assert turn.state == "topic"
    assert machine.machine.models == []


def test_queued_on_enter_branch_routes_in_one_event(project) -> None:
    machine, catalog = _machine(project)
    turn = _turn(catalog, topic="perundungan", weight=3, story="x")
    machine.run(turn, "safety", "press_safe")
    assert turn.state == "to_counselor" and turn.finished
    assert [e.route for e in turn.effects if isinstance(e, OpenCase)] == ["counselor"]
    assert "112" in [e for e in turn.effects if isinstance(e, Send)][-1].text


def test_invalid_trigger_is_ignored_not_raised(project) -> None:
    machine, catalog = _machine(project)
    turn = _turn(catalog)
    machine.run(turn, "topic", "press_nonexistent")
    assert turn.state == "topic" and turn.effects == []
