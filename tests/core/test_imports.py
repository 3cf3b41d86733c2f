"""bot/core has no import cycle and no function-level import dodging one: feature modules
depend on the narrow Context (bot/core/context.py), never on Core."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import bot.core

ROOT = Path(__file__).resolve().parents[2]


def _path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str) -> tuple[set[str], list[int]]:
    """(the bot.core modules ``module`` imports when it loads, lines of function-level
    imports)."""
    path = _path(module)
    tree = ast.parse(path.read_text()) if path else ast.Module(body=[], type_ignores=[])
    found: set[str] = set()
    for sub in _loading(tree.body):
        if isinstance(sub, ast.Import):
            found |= {a.name for a in sub.names}
        elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
            found.add(sub.module)
            found |= {f"{sub.module}.{a.name}" for a in sub.names
                      if _path(f"{sub.module}.{a.name}")}
    local = [sub.lineno for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
             for sub in ast.walk(node) if isinstance(sub, ast.Import | ast.ImportFrom)]
    return {m for m in found if m.startswith("bot.core.") and _path(m)} - {module}, local


def _loading(body: list[ast.stmt]):
    """The statements that run when a module loads (not function bodies, not the
    ``if TYPE_CHECKING:`` block, which only annotations read)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from _loading(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _loading([n for n in inner if isinstance(n, ast.stmt)])


def _core_modules() -> list[str]:
    return sorted(f"bot.core.{m.name}" for m in pkgutil.iter_modules(bot.core.__path__))


def _cycle(start: str) -> list[str] | None:
    """A cycle through the run-time imports reachable from ``start``, if any."""
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for nxt in sorted(_imports(module)[0]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [module, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[module] = 2
        return None

    return visit(start, [start])


def test_no_bot_core_module_is_part_of_an_import_cycle() -> None:
    for module in _core_modules():
        importlib.import_module(module)  # each loads
        assert _cycle(module) is None, " -> ".join(_cycle(module) or [])


def test_no_bot_core_module_imports_inside_a_function() -> None:
    offenders = {m: _imports(m)[1] for m in _core_modules() if _imports(m)[1]}
    assert not offenders, offenders


def test_feature_modules_do_not_import_the_core() -> None:
    importers = [m for m in _core_modules() if "bot.core.core" in _imports(m)[0]]
    assert importers == [], importers


def test_the_cycle_check_can_fail(tmp_path, monkeypatch) -> None:
    """Two modules importing each other are reported."""
    monkeypatch.setattr(f"{__name__}._imports", lambda m: ({"bot.core.b"} if m == "bot.core.a"
                                                           else {"bot.core.a"}, []))
    assert _cycle("bot.core.a") == ["bot.core.a", "bot.core.b", "bot.core.a"]
