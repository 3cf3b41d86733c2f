"""Every registered action has a test here; a new action without one fails this file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.effects import Audit, OpenCase, Send
from bot.core.keys import UserKey
from bot.engine.actions import ORDER, REGISTRY, ActionArgError
from bot.engine.catalog import Catalog
from bot.engine.turn import FlowTurn


def _turn(**variables) -> FlowTurn:
    catalog = Catalog(texts={"id": {"k": "halo {topic}"}, "en": {"k": "hi {topic}"}})
    return FlowTurn(student=UserKey("s"), lang="id", variables=variables, catalog=catalog,
                    context={})


def _run(name: str, value, turn: FlowTurn) -> None:
    REGISTRY[name].run(REGISTRY[name].parse(value, 1), turn)


def check_say() -> None:
    turn = _turn(topic="keluarga")
    _run("say", ["k", {"id": "dua", "en": "two"}], turn)
    assert [e.text for e in turn.effects if isinstance(e, Send)] == ["halo keluarga", "dua"]


def check_set() -> None:
    turn = _turn()
    _run("set", {"topic": "keluarga", "weight": 2}, turn)
    assert turn.vars == {"topic": "keluarga", "weight": 2}
    with pytest.raises(ActionArgError):
        REGISTRY["set"].parse({"_private": 1}, 1)
    with pytest.raises(ActionArgError):
        REGISTRY["set"].parse({"x": [1, 2]}, 1)


def check_route() -> None:
    turn = _turn(topic="keluarga", weight=3, story="cerita")
    _run("route", "counselor", turn)
    [case] = turn.effects
    assert isinstance(case, OpenCase)
    assert (case.route, case.topic, case.weight, case.story) == ("counselor", "keluarga", 3,
                                                                 "cerita")
    with pytest.raises(ActionArgError):
        REGISTRY["route"].parse("principal", 1)


def check_go() -> None:
    assert REGISTRY["go"].parse("topic", 1) == "topic"
    with pytest.raises(ActionArgError):
        REGISTRY["go"].parse(["a"], 1)


def check_end() -> None:
    turn = _turn()
    _run("end", True, turn)
    assert turn.finished
    with pytest.raises(ActionArgError):
        REGISTRY["end"].parse("yes please", 1)


def check_language() -> None:
    turn = _turn()
    _run("language", "en", turn)
    assert turn.lang == "en"
    with pytest.raises(ActionArgError):
        REGISTRY["language"].parse("jv", 1)


def check_track() -> None:
    turn = _turn()
    _run("track", "selfhelp_breathing", turn)
    [audit] = turn.effects
    assert isinstance(audit, Audit) and audit.actor is None  # anonymous: nobody's key
    assert audit.detail == {"service": "selfhelp_breathing"}
    with pytest.raises(ActionArgError):
        REGISTRY["track"].parse("Self Help!", 1)


def check_flow() -> None:
    turn = _turn()
    _run("flow", "selfhelp", turn)
    assert turn.next_flow == "selfhelp" and not turn.effects
    with pytest.raises(ActionArgError):
        REGISTRY["flow"].parse("", 1)


def check_service() -> None:
    turn = _turn()
    _run("service", "appointment", turn)
    assert turn.service == "appointment"
    with pytest.raises(ActionArgError):
        REGISTRY["service"].parse("pizza", 1)


CHECKS: dict[str, Callable[[], None]] = {
    "say": check_say, "set": check_set, "route": check_route, "go": check_go, "end": check_end,
    "language": check_language, "track": check_track, "flow": check_flow,
    "service": check_service,
}


def test_every_registered_action_has_a_check() -> None:
    assert set(CHECKS) == set(REGISTRY) == set(ORDER)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_action(name: str) -> None:
    CHECKS[name]()
