"""The parsed, validated shape of a flow. Built by loader.py, run by machine.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.catalog import TextRef
from bot.engine.conditions import Condition


@dataclass(frozen=True)
class Action:
    """One step of a branch, e.g. ``say: intake.thanks`` or ``set: {topic: keluarga}``."""

    name: str
    arg: Any
    line: int


@dataclass(frozen=True)
class Branch:
    """Actions to run, optionally guarded by ``when``; ``target`` is the ``go`` state."""

    when: Condition | None
    actions: tuple[Action, ...]
    target: str | None
    line: int


@dataclass(frozen=True)
class Handler:
    """What happens on a button, an input or entering a state: the first matching branch."""

    branches: tuple[Branch, ...]
    line: int

    @property
    def targets(self) -> list[str]:
        return [b.target for b in self.branches if b.target]


@dataclass(frozen=True)
class ButtonSpec:
    id: str
    text: TextRef
    handler: Handler
    line: int


@dataclass(frozen=True)
class InputSpec:
    """Free text accepted in a state; saved under ``save`` when given; ``share``: shown to the
    helper with the story, as "``label``: answer"."""

    save: str | None
    handler: Handler
    line: int
    min_chars: int = 1
    share: bool = False
    label: TextRef | None = None


@dataclass(frozen=True)
class StateSpec:
    name: str
    line: int
    prompt: tuple[TextRef, ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()
    input: InputSpec | None = None
    on_enter: Handler | None = None
    end: bool = False

    def button(self, button_id: str) -> ButtonSpec | None:
        return next((b for b in self.buttons if b.id == button_id), None)

    def handlers(self) -> list[tuple[str, Handler]]:
        """(trigger name, handler) pairs of this state, in declaration order."""
        out = [(f"press_{b.id}", b.handler) for b in self.buttons]
        if self.input:
            out.append(("text_input", self.input.handler))
        if self.on_enter:
            out.append(("auto_enter", self.on_enter))
        return out


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    start: str
    states: dict[str, StateSpec] = field(default_factory=dict)
    line: int = 1
