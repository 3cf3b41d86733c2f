"""The ephemeral model one event runs on: created per event, never kept resident."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.effects import Audit, Effect, OpenCase, Send
from bot.core.events import Button
from bot.core.keys import UserKey
from bot.engine.catalog import Catalog, TextRef
from bot.engine.shared import with_shared


class FlowTurn:
    """State, variables and collected effects of one conversation during one event.

    ``transitions`` sets ``state`` on it; actions call ``say``/``route`` and edit ``vars``.
    """

    def __init__(
        self,
        *,
        student: UserKey,
        lang: str,
        variables: Mapping[str, Any],
        catalog: Catalog,
        context: Mapping[str, Any],
        input_text: str = "",
    ) -> None:
        self.student = student
        self.lang = lang
        self.vars: dict[str, Any] = dict(variables)
        self.catalog = catalog
        self.context = context
        self.input_text = input_text
        self.effects: list[Effect] = []
        self.finished = False
        self.state: str = ""
        self.next_flow: str | None = None  # `flow:` ran: start that flow next
        self.service: str | None = None  # `service:` ran: a built-in service takes over

    def values(self) -> dict[str, Any]:
        """What texts and conditions may refer to: context, then variables, then input."""
        return {**self.context, **self.vars, "input": self.input_text}

    def text(self, ref: TextRef) -> str:
        return self.catalog.render(ref, self.lang, self.values())

    def say(self, ref: TextRef, buttons: tuple[Button, ...] = ()) -> None:
        self.effects.append(Send(self.student, self.text(ref), buttons))

    def track(self, name: str) -> None:
        """Count one anonymous use of a service (the reports read these)."""
        self.effects.append(Audit(None, "service_used", {"service": name}))

    def route(self, route: str) -> None:
        """Open a case with the topic, the weight, and the story with the shared answers."""
        story = with_shared(str(self.vars.get("story") or ""), self.vars)
        self.effects.append(
            OpenCase(
                student=self.student,
                route=route,
                topic=str(self.vars.get("topic") or "lainnya"),
                weight=int(self.vars.get("weight") or 1),
                story=story,
                vars={**self.vars, "story": story},
            )
        )
