"""`when:` conditions: a tiny, safe expression language over flow variables.

Examples: ``weight == 3``, ``topic == 'perundungan' and weight >= 3``, ``danger in ('ya',)``.
Parsed once at load with Python's ``ast`` and a whitelist of node types; evaluated by our own
walker (no eval). Unknown variables are None, so a condition on a value not yet set is False.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from typing import Any

_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


class ConditionSyntaxError(ValueError):
    """The expression uses syntax or names outside the condition language."""


class Condition:
    """A compiled condition; ``source`` is kept for diagrams and messages."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ConditionSyntaxError(f"cannot read condition {source!r}: {exc.msg}") from exc
        self._check(tree.body)
        self._tree = tree.body
        self.names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}

    def _check(self, node: ast.AST) -> None:
        allowed = (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Compare, ast.Name,
                   ast.Load, ast.Constant, ast.Tuple, ast.List, *_COMPARE)
        for child in ast.walk(node):
            if not isinstance(child, allowed):
                raise ConditionSyntaxError(
                    f"{type(child).__name__} is not allowed in a condition; use variables, "
                    "constants, ==, !=, <, >, in, and, or, not"
                )

    def __call__(self, values: Mapping[str, Any]) -> bool:
        try:
            return bool(self._eval(self._tree, values))
        except TypeError:  # e.g. None < 3: a value not set yet never matches
            return False

    def _eval(self, node: ast.AST, values: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return values.get(node.id)
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self._eval(e, values) for e in node.elts)
        if isinstance(node, ast.UnaryOp):
            return not self._eval(node.operand, values)
        if isinstance(node, ast.BoolOp):
            results = (self._eval(v, values) for v in node.values)
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, values)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self._eval(comparator, values)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        raise ConditionSyntaxError(f"unsupported node {type(node).__name__}")

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"
