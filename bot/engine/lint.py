"""Soft problems in flows: reported by `sebaya check-flows` as warnings, never fatal."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.catalog import TELEGRAM_TEXT_LIMIT, Catalog, TextRef
from bot.engine.schema import Flow, StateSpec

GLOBAL_COMMAND_WORDS = ("start", "help", "bantuan", "bahasa", "language", "stop", "hapus")


@dataclass(frozen=True)
class Warning_:
    path: str
    line: int
    state: str
    message: str

    def render(self) -> str:
        return f"{self.path}:{self.line}: warning: state {self.state!r}: {self.message}"


def _reachable(flow: Flow) -> set[str]:
    seen, todo = set(), [flow.start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for _, handler in flow.states[name].handlers():
            todo.extend(handler.targets)
    return seen


def texts_shown(spec: StateSpec) -> list[TextRef]:
    """Every text a state shows: prompts, button labels and ``say`` actions."""
    refs = list(spec.prompt) + [b.text for b in spec.buttons]
    for _, handler in spec.handlers():
        for branch in handler.branches:
            refs.extend(ref for a in branch.actions if a.name == "say" for ref in a.arg)
    return refs


def lint_flow(flow: Flow, catalog: Catalog, languages: tuple[str, ...]) -> list[Warning_]:
    """Unreachable states, dead ends, buttons named like global commands, over-long texts,
    and guarded branches with no fallback."""
    out: list[Warning_] = []
    path = str(flow.path)
    reachable = _reachable(flow)
    for spec in flow.states.values():
        def warn(line: int, message: str, spec: StateSpec = spec) -> None:
            out.append(Warning_(path, line, spec.name, message))

        if spec.name not in reachable:
            warn(spec.line, "unreachable: no button, input or on_enter leads here")
        has_exit = bool(spec.buttons or spec.input or spec.on_enter)
        if not has_exit and not spec.end:
            warn(spec.line, "dead end: no buttons, input or on_enter, and not `end: true`")
        for button in spec.buttons:
            for lang in languages:
                label = catalog.render(button.text, lang, {}).strip().lstrip("/").casefold()
                if label in GLOBAL_COMMAND_WORDS:
                    warn(button.line, f"button label {label!r} ({lang}) equals a global command")
        for _, handler in spec.handlers():
            if all(b.when is not None for b in handler.branches):
                warn(handler.line, "every branch has `when`: add a last branch without it, "
                     "or an unmatched event leaves the student without an answer")
        for ref in texts_shown(spec):
            for lang in languages:
                if len(catalog.render(ref, lang, {})) > TELEGRAM_TEXT_LIMIT:
                    warn(ref.line, f"text over {TELEGRAM_TEXT_LIMIT} characters ({lang}): "
                         "Telegram will refuse it")
    return out
