"""Build one `transitions` machine per flow and run ephemeral models through it.

Every state's buttons, free-text input and on-enter branches become transitions with the
trigger names ``press_<id>``, ``text_input`` and ``auto_enter``. Branch guards are transition
conditions and branch actions run in ``before`` (ahead of the next state's prompt). The model is a
FlowTurn made for one event and removed afterwards: the machine never holds a resident model
per conversation (add_model is O(n); see transitions issues #146, #379).
"""

from __future__ import annotations

from collections.abc import Callable

from transitions import EventData, Machine, State

from bot.core.events import Button
from bot.engine.actions import REGISTRY
from bot.engine.loader import callback_data
from bot.engine.schema import Branch, Flow, StateSpec
from bot.engine.shared import remember
from bot.engine.turn import FlowTurn


class FlowMachine:
    """Runs events of one flow. Not thread-safe; the dispatcher runs one event at a time."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        states = [State(name, on_enter=[self._entered]) for name in flow.states]
        self.machine = Machine(
            model=None,
            states=states,
            initial=flow.start,
            auto_transitions=False,
            queued="model",
            send_event=True,
            ignore_invalid_triggers=True,
        )
        for spec in flow.states.values():
            for trigger, handler in spec.handlers():
                first = [self._sharer(spec)] if trigger == "text_input" and spec.input and \
                    spec.input.share else []  # before the branch: it may route at once
                for branch in handler.branches:
                    self.machine.add_transition(
                        trigger,
                        source=spec.name,
                        dest=branch.target,  # None: internal transition, state unchanged
                        conditions=[self._guard(branch)] if branch.when else [],
                        before=[*first, self._runner(branch)],
                    )

    @staticmethod
    def _guard(branch: Branch) -> Callable[[EventData], bool]:
        condition = branch.when
        assert condition is not None
        return lambda event: condition(event.model.values())

    @staticmethod
    def _runner(branch: Branch) -> Callable[[EventData], None]:
        def run(event: EventData) -> None:
            for action in branch.actions:
                REGISTRY[action.name].run(action.arg, event.model)

        return run

    @staticmethod
    def _sharer(spec: StateSpec) -> Callable[[EventData], None]:
        """Keep a ``share: true`` answer under its label (in the staff's language)."""
        assert spec.input is not None
        label_ref, name = spec.input.label, spec.input.save or spec.name

        def share(event: EventData) -> None:
            turn: FlowTurn = event.model
            catalog = turn.catalog
            label = catalog.render(label_ref, catalog.default_lang, {}) if label_ref else name
            remember(turn.vars, label, turn.input_text)

        return share

    def _entered(self, event: EventData) -> None:
        self.enter(event.model, self.flow.states[event.state.name])

    def enter(self, turn: FlowTurn, spec: StateSpec) -> None:
        """Show a state's prompt (buttons on the last bubble), then run its on_enter branches."""
        self.show_prompt(turn, spec)
        if spec.end:
            turn.finished = True
        if spec.on_enter is not None:
            turn.trigger("auto_enter")

    def buttons(self, turn: FlowTurn, spec: StateSpec) -> tuple[Button, ...]:
        return tuple(Button(turn.text(b.text), callback_data(spec.name, b.id))
                     for b in spec.buttons)

    def show_prompt(self, turn: FlowTurn, spec: StateSpec) -> None:
        for index, ref in enumerate(spec.prompt):
            last = index == len(spec.prompt) - 1
            turn.say(ref, self.buttons(turn, spec) if last else ())

    def run(self, turn: FlowTurn, state: str | None, trigger: str | None = None) -> None:
        """Start the flow (``state`` None) or fire ``trigger`` in ``state``; mutates ``turn``."""
        self.machine.add_model(turn, initial=state or self.flow.start)
        try:
            if state is None:
                self.enter(turn, self.flow.states[self.flow.start])
            elif trigger is not None:
                turn.trigger(trigger)
        finally:
            self.machine.remove_model(turn)
