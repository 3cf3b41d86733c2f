"""Load flows/*.yaml into validated Flow objects. Every structural problem is a FlowError that
names the file, the line, the state and how to fix it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.engine.actions import ORDER, REGISTRY, ActionArgError, parse_text_ref
from bot.engine.catalog import Catalog, TextRef
from bot.engine.conditions import Condition, ConditionSyntaxError
from bot.engine.schema import Action, Branch, ButtonSpec, Flow, Handler, InputSpec, StateSpec
from bot.errors import FlowError
from bot.yamlsrc import LineDict, LineList, YamlSyntaxError, read_yaml

FLOW_KEYS = ("flow", "start", "description", "states")
STATE_KEYS = ("prompt", "buttons", "input", "on_enter", "end")
BUTTON_OWN_KEYS = ("text", "id", "then")
INPUT_OWN_KEYS = ("save", "min_chars", "share", "label", "then")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
CALLBACK_LIMIT = 64  # Telegram's callback_data limit, in bytes


def callback_data(state: str, button_id: str) -> str:
    """The payload a flow button sends back: checked against the current state on press."""
    return f"f:{state}:{button_id}"


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Parser:
    """Parses one flow file; ``fail`` raises FlowError located in that file."""

    def __init__(self, path: Path, catalog: Catalog, languages: tuple[str, ...]) -> None:
        self.path = path
        self.catalog = catalog
        self.languages = languages
        self.state = ""

    def fail(self, line: int | None, what: str, hint: str) -> FlowError:
        where = f"state {self.state!r}" if self.state else "flow"
        return FlowError(self.path, line, where, what, hint)

    def _line(self, node: Any, key: Any, default: int) -> int:
        if isinstance(node, LineDict):
            return node.key_lines.get(key, node.line or default)
        return default

    def _unknown_keys(self, node: LineDict, allowed: Iterable[str], what: str) -> None:
        allowed = tuple(allowed)
        for key in node:
            if key not in allowed:
                raise self.fail(self._line(node, key, node.line), f"unknown {what} key {key!r}"
                                f"{_suggest(str(key), allowed)}", f"allowed: {', '.join(allowed)}")

    def parse(self, tree: Any) -> Flow:
        if not isinstance(tree, LineDict):
            raise self.fail(1, "a flow file must be a mapping", "start with `flow:` and `states:`")
        self._unknown_keys(tree, FLOW_KEYS, "flow")
        for key in ("flow", "start", "states"):
            if key not in tree:
                raise self.fail(tree.line, f"missing {key!r}", f"add `{key}:` at the top level")
        name = tree["flow"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail(self._line(tree, "flow", 1), f"bad flow name {name!r}",
                            "use lowercase letters, digits and _ (max 24)")
        states_node = tree["states"]
        if not isinstance(states_node, LineDict) or not states_node:
            raise self.fail(self._line(tree, "states", 1), "states must be a non-empty mapping",
                            "list states as `name:` entries under `states:`")
        states = {}
        for state_name, body in states_node.items():
            self.state = str(state_name)
            line = states_node.key_lines[state_name]
            if not isinstance(state_name, str) or not _NAME.match(state_name):
                raise self.fail(line, f"bad state name {state_name!r}",
                                "use lowercase letters, digits and _ (max 24)")
            states[state_name] = self._state(state_name, body, line)
        self.state = ""
        start = tree["start"]
        if start not in states:
            raise self.fail(self._line(tree, "start", 1), f"start state {start!r} does not exist"
                            f"{_suggest(str(start), states)}", "name one of the states below")
        flow = Flow(name=name, path=self.path, start=start, states=states, line=tree.line)
        self._check_targets(flow)
        return flow

    def _state(self, name: str, body: Any, line: int) -> StateSpec:
        if body is None:
            body = LineDict()
        if not isinstance(body, LineDict):
            raise self.fail(line, "a state must be a mapping",
                            "give it prompt/buttons/input/on_enter/end keys")
        body.line = body.line or line
        self._unknown_keys(body, STATE_KEYS, "state")
        prompt = ()
        if "prompt" in body:
            prompt = self._texts(body["prompt"], self._line(body, "prompt", line))
        buttons = ()
        if "buttons" in body:
            buttons = self._buttons(name, body["buttons"], self._line(body, "buttons", line))
        input_spec = None
        if "input" in body:
            input_spec = self._input(body["input"], self._line(body, "input", line))
        on_enter = None
        if "on_enter" in body:
            on_enter = self._handler(body["on_enter"], self._line(body, "on_enter", line))
        end = body.get("end", False)
        if end not in (True, False):
            raise self.fail(self._line(body, "end", line), "end must be true or false",
                            "write end: true on a final state")
        return StateSpec(name, line, prompt, buttons, input_spec, on_enter, bool(end))

    def _texts(self, value: Any, line: int) -> tuple[TextRef, ...]:
        items = value if isinstance(value, list) else [value]
        lines = value.item_lines if isinstance(value, LineList) else [line] * len(items)
        return tuple(self._text(item, item_line) for item, item_line in zip(items, lines,
                                                                           strict=True))

    def _text(self, value: Any, line: int) -> TextRef:
        try:
            ref = parse_text_ref(value, line)
        except ActionArgError as exc:
            raise self.fail(line, str(exc), exc.hint) from exc
        for lang in self.languages:
            if ref.key is not None and not self.catalog.has(lang, ref.key):
                raise self.fail(line, f"text {ref.key!r} has no {lang!r} translation"
                                f"{_suggest(ref.key, self.catalog.texts.get(lang, {}))}",
                                f"add {ref.key} to flows/texts/{lang}.yaml")
            if ref.inline is not None and not ref.inline.get(lang):
                raise self.fail(line, f"inline text has no {lang!r} translation",
                                f"add `{lang}: ...` to the text")
        return ref

    def _buttons(self, state: str, value: Any, line: int) -> tuple[ButtonSpec, ...]:
        if not isinstance(value, LineList) or not value:
            raise self.fail(line, "buttons must be a non-empty list",
                            "write each button as `- text: key` with its actions")
        buttons: list[ButtonSpec] = []
        for index, (item, item_line) in enumerate(zip(value, value.item_lines, strict=True)):
            if not isinstance(item, LineDict) or "text" not in item:
                raise self.fail(item_line, "a button needs `text:`",
                                "write `- text: intake.yes` then its actions (go, set, ...)")
            raw_id = item.get("id", index + 1)
            button_id = str(raw_id)
            if isinstance(raw_id, bool) or not re.match(r"^[a-z0-9_]{1,16}$", button_id):
                hint = "use lowercase letters, digits and _ (max 16)"
                if isinstance(raw_id, bool):
                    hint = "YAML reads yes/no/on/off as true/false: quote it, e.g. id: \"yes\""
                raise self.fail(self._line(item, "id", item_line), f"bad button id {raw_id!r}",
                                hint)
            if any(b.id == button_id for b in buttons):
                raise self.fail(item_line, f"duplicate button id {button_id!r}",
                                "give each button of a state its own id")
            if len(callback_data(state, button_id).encode()) > CALLBACK_LIMIT:
                raise self.fail(item_line, "state name plus button id are too long for a button",
                                "shorten the state name or the button id")
            text = self._text(item["text"], self._line(item, "text", item_line))
            handler = self._own_handler(item, BUTTON_OWN_KEYS, item_line)
            buttons.append(ButtonSpec(button_id, text, handler, item_line))
        return tuple(buttons)

    def _input(self, value: Any, line: int) -> InputSpec:
        if not isinstance(value, LineDict):
            raise self.fail(line, "input must be a mapping", "write e.g. input: {save: story, "
                            "go: weight}")
        save = value.get("save")
        if save is not None and (not isinstance(save, str) or not save.isidentifier()):
            raise self.fail(self._line(value, "save", line), f"bad variable name {save!r}",
                            "use letters, digits and _")
        min_chars = value.get("min_chars", 1)
        if not isinstance(min_chars, int) or min_chars < 1:
            raise self.fail(self._line(value, "min_chars", line), "min_chars must be >= 1",
                            "write a whole number such as 3")
        share = value.get("share", False)
        if share not in (True, False):
            raise self.fail(self._line(value, "share", line), "share must be true or false",
                            "write share: true to show the answer to the helper")
        label = None
        if "label" in value:
            if not share:
                raise self.fail(self._line(value, "label", line), "label without share: true",
                                "add share: true, or remove the label")
            label = self._text(value["label"], self._line(value, "label", line))
        handler = self._own_handler(value, INPUT_OWN_KEYS, line)
        return InputSpec(save, handler, line, min_chars, bool(share), label)

    def _own_handler(self, node: LineDict, own_keys: tuple[str, ...], line: int) -> Handler:
        """Buttons and inputs: either `then:` branches, or actions written inline."""
        if "then" in node:
            extra = [k for k in node if k not in own_keys]
            if extra:
                raise self.fail(self._line(node, extra[0], line), f"{extra[0]!r} next to `then:`",
                                "put all actions inside `then:`, or drop `then:`")
            return self._handler(node["then"], self._line(node, "then", line))
        inline = LineDict((k, v) for k, v in node.items() if k not in own_keys)
        inline.line = node.line or line
        inline.key_lines = {k: v for k, v in node.key_lines.items() if k not in own_keys}
        return Handler((self._branch(inline, line),), line)

    def _handler(self, value: Any, line: int) -> Handler:
        if isinstance(value, LineDict):
            return Handler((self._branch(value, line),), line)
        if isinstance(value, LineList) and value:
            branches = tuple(self._branch(item, item_line)
                             for item, item_line in zip(value, value.item_lines, strict=True))
            return Handler(branches, line)
        raise self.fail(line, "expected actions (a mapping) or branches (a list of mappings)",
                        "write e.g. `go: next` or `- when: weight == 3` entries")

    def _branch(self, node: Any, line: int) -> Branch:
        if not isinstance(node, LineDict):
            raise self.fail(line, "a branch must be a mapping of actions",
                            f"use actions: {', '.join(ORDER)} (and optional when)")
        when = None
        actions: list[Action] = []
        for key, value in node.items():
            key_line = self._line(node, key, line)
            if key == "when":
                try:
                    when = Condition(str(value))
                except ConditionSyntaxError as exc:
                    raise self.fail(key_line, str(exc), "write e.g. when: weight == 3") from exc
                continue
            action_type = REGISTRY.get(key)
            if action_type is None:
                raise self.fail(key_line, f"unknown action {key!r}{_suggest(str(key), REGISTRY)}",
                                f"use one of: {', '.join(ORDER)}")
            try:
                arg = action_type.parse(value, key_line)
            except ActionArgError as exc:
                raise self.fail(key_line, f"{key}: {exc}", exc.hint) from exc
            if key == "say":
                arg = tuple(self._text(ref.key or dict(ref.inline or {}), key_line) for ref in arg)
            actions.append(Action(key, arg, key_line))
        names = {a.name for a in actions}
        if len(names & {"go", "flow", "service"}) > 1:
            raise self.fail(line, "a branch can either go to a state, start a flow or hand over "
                            "to a service", "keep one of go:, flow: and service:")
        actions.sort(key=lambda a: ORDER.index(a.name))
        target = next((a.arg for a in actions if a.name == "go"), None)
        return Branch(when, tuple(actions), target, node.line or line)

    def _check_targets(self, flow: Flow) -> None:
        for state in flow.states.values():
            self.state = state.name
            for _, handler in state.handlers():
                for branch in handler.branches:
                    if branch.target and branch.target not in flow.states:
                        go_line = next(a.line for a in branch.actions if a.name == "go")
                        raise self.fail(go_line, f"go to unknown state {branch.target!r}"
                                        f"{_suggest(branch.target, flow.states)}",
                                        "add that state or fix the name")
        self.state = ""


def load_flow(path: Path, catalog: Catalog, languages: Iterable[str]) -> Flow:
    """Parse and validate one flow file."""
    try:
        tree = read_yaml(path)
    except YamlSyntaxError as exc:
        if "duplicate key" in exc.problem:
            raise FlowError(path, exc.line, "flow", exc.problem.replace("key", "state or key"),
                            "each state (and each key of a state) may appear only once") from exc
        raise FlowError(path, exc.line, "", f"invalid YAML: {exc.problem}",
                        "check indentation and quotes on that line") from exc
    return _Parser(path, catalog, tuple(languages)).parse(tree)


def load_flows(flows_dir: Path, catalog: Catalog, languages: Iterable[str]) -> dict[str, Flow]:
    """All flows in a folder (*.yaml, not texts/), keyed by flow name."""
    languages = tuple(languages)
    flows: dict[str, Flow] = {}
    for path in sorted(flows_dir.glob("*.yaml")):
        flow = load_flow(path, catalog, languages)
        if flow.name in flows:
            raise FlowError(path, flow.line, "flow", f"flow name {flow.name!r} is already used "
                            f"by {flows[flow.name].path.name}", "give each flow its own name")
        flows[flow.name] = flow
    if not flows:
        raise FlowError(flows_dir, None, "", "no flow files found", "add flows/intake.yaml")
    for flow in flows.values():
        _check_flow_targets(flow, flows)
    return flows


def _check_flow_targets(flow: Flow, flows: dict[str, Flow]) -> None:
    """`flow:` actions must name a flow that exists."""
    for state in flow.states.values():
        for _, handler in state.handlers():
            for branch in handler.branches:
                for action in branch.actions:
                    if action.name == "flow" and action.arg not in flows:
                        raise FlowError(flow.path, action.line, f"state {state.name!r}",
                                        f"flow {action.arg!r} does not exist"
                                        f"{_suggest(action.arg, flows)}",
                                        "add that flow file or fix the name")
