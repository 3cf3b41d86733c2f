"""YAML loading that remembers the line of every key and list item.

Config and flow errors must name the line a person has to edit; PyYAML's nodes know it, so we keep
it on dict/list subclasses that behave exactly like plain containers otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.errors import SourceError


class LineDict(dict):
    """A dict that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A list that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(Exception):
    """The text is not valid YAML; carries the 1-based line and PyYAML's explanation."""

    def __init__(self, line: int | None, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}")


def parse_yaml(text: str) -> Any:
    """Parse YAML text into LineDict/LineList trees; raise YamlSyntaxError with a line."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise YamlSyntaxError(line, problem or "invalid YAML") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, str(exc)) from exc


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    return parse_yaml(path.read_text(encoding="utf-8"))


def line_at(tree: Any, loc: Sequence[Any]) -> int | None:
    """Best line for a key path such as ("roster", "shifts", 0, "start").

    Walks as deep as the path exists and returns the deepest line found, so a missing key
    points at its parent mapping.
    """
    best = getattr(tree, "line", None)
    node = tree
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            best = node.key_lines.get(part, best)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.item_lines[part]
            node = node[part]
        else:
            break
    return best


def read_mapping(path: Path, error: type[SourceError], must_be: str, hint: str,
                 text: str | None = None) -> LineDict:
    """Read a YAML file that must be a mapping; problems raise ``error`` with file and line."""
    try:
        tree = parse_yaml(path.read_text(encoding="utf-8") if text is None else text)
    except YamlSyntaxError as exc:
        raise error(path, exc.line, "", f"invalid YAML: {exc.problem}",
                    "check indentation and quotes on that line") from exc
    if not isinstance(tree, LineDict):
        raise error(path, 1, "", must_be, hint)
    return tree
