"""The action registry: one entry per action a flow branch may use.

Each action parses its YAML value at load (raising ``ActionArgError`` with a hint) and runs
against the ephemeral turn model. ``ORDER`` is the order actions run within one branch, whatever
order the YAML keys were written in (set before say, so a text can use the value just set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.engine.catalog import TextRef

if TYPE_CHECKING:
    from bot.engine.turn import FlowTurn

ROUTES = ("peer", "counselor")


class ActionArgError(ValueError):
    """The value given to an action is wrong; ``hint`` says how to write it."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.hint = hint


@dataclass(frozen=True)
class ActionType:
    name: str
    parse: Callable[[Any, int], Any]
    run: Callable[[Any, FlowTurn], None]
    help: str


def parse_text_ref(value: Any, line: int) -> TextRef:
    """A catalog key ("intake.welcome") or inline texts ({id: "...", en: "..."})."""
    if isinstance(value, str) and value.strip():
        return TextRef(key=value.strip(), line=line)
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        return TextRef(inline=dict(value), line=line)
    raise ActionArgError("a text must be a catalog key or a mapping of language to text",
                         'write e.g. intake.welcome or {id: "Halo", en: "Hi"}')


def _parse_say(value: Any, line: int) -> tuple[TextRef, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(parse_text_ref(item, line) for item in items)


def _run_say(refs: tuple[TextRef, ...], turn: FlowTurn) -> None:
    for ref in refs:
        turn.say(ref)


def _parse_set(value: Any, line: int) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ActionArgError("set needs a mapping of variable names to values",
                             "write e.g. set: {topic: keluarga, weight: 2}")
    for name, item in value.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ActionArgError(f"{name!r} is not a valid variable name",
                                 "use letters, digits and _ and start with a letter")
        if not isinstance(item, str | int | float | bool) and item is not None:
            raise ActionArgError(f"value of {name!r} must be a plain value",
                                 "use text, a number, true/false or null")
    return dict(value)


def _run_set(values: dict[str, Any], turn: FlowTurn) -> None:
    turn.vars.update(values)


def _parse_route(value: Any, line: int) -> str:
    if value not in ROUTES:
        raise ActionArgError(f"unknown route {value!r}", f"use one of: {', '.join(ROUTES)}")
    return value


def _run_route(route: str, turn: FlowTurn) -> None:
    turn.route(route)


def _parse_go(value: Any, line: int) -> str:
    if not isinstance(value, str) or not value:
        raise ActionArgError("go needs the name of a state", "write e.g. go: topic")
    return value


def _run_go(target: str, turn: FlowTurn) -> None:
    """Moving happens in the state machine itself; nothing to do here."""


def _parse_end(value: Any, line: int) -> bool:
    if value is not True:
        raise ActionArgError("end takes only true", "write end: true, or remove the key")
    return True


def _run_end(_: bool, turn: FlowTurn) -> None:
    turn.finished = True


SERVICES = ("appointment", "groups", "ask_direct")
_NAME_HINT = "lowercase letters, digits and _, e.g. selfhelp"


def _parse_name(what: str, example: str) -> Callable[[Any, int], str]:
    def parse(value: Any, line: int) -> str:
        if not isinstance(value, str) or not value.replace("_", "").isalnum() \
                or not value.islower():
            raise ActionArgError(f"{what} needs a name", f"write e.g. {what}: {example} "
                                 f"({_NAME_HINT})")
        return value
    return parse


def _run_track(name: str, turn: FlowTurn) -> None:
    turn.track(name)


def _run_flow(name: str, turn: FlowTurn) -> None:
    turn.next_flow = name


def _parse_service(value: Any, line: int) -> str:
    if value not in SERVICES:
        raise ActionArgError(f"unknown service {value!r}", f"use one of: {', '.join(SERVICES)}")
    return value


def _run_service(name: str, turn: FlowTurn) -> None:
    turn.service = name


LANGUAGES = ("id", "en")


OTHER_LANGUAGE = "other"  # the language the conversation is not in (a button that switches
# both ways: "English, please" in Bahasa Indonesia, "Bahasa Indonesia, ya" in English)


def _parse_language(value: Any, line: int) -> str:
    if value not in (*LANGUAGES, OTHER_LANGUAGE):
        raise ActionArgError(f"unknown language {value!r}",
                             f"use one of: {', '.join(LANGUAGES)}, or {OTHER_LANGUAGE}")
    return value


def _run_language(lang: str, turn: FlowTurn) -> None:
    if lang == OTHER_LANGUAGE:
        lang = next(code for code in LANGUAGES if code != turn.lang)
    turn.lang = lang


REGISTRY: dict[str, ActionType] = {
    a.name: a
    for a in (
        ActionType("language", _parse_language, _run_language, "switch the conversation language"),
        ActionType("set", _parse_set, _run_set, "store values in the conversation's variables"),
        ActionType("say", _parse_say, _run_say, "send one or more texts to the student"),
        ActionType("route", _parse_route, _run_route, "open a case for a peer or guru BK"),
        ActionType("track", _parse_name("track", "selfhelp_breathing"), _run_track,
                   "count one use of a service for the reports (anonymous)"),
        ActionType("service", _parse_service, _run_service,
                   "hand over to a built-in service: appointment, groups, ask_direct"),
        ActionType("flow", _parse_name("flow", "selfhelp"), _run_flow,
                   "start another flow (from its first state) after this branch"),
        ActionType("go", _parse_go, _run_go, "move to another state (runs last)"),
        ActionType("end", _parse_end, _run_end, "finish the flow after this branch"),
    )
}
ORDER = tuple(REGISTRY)
