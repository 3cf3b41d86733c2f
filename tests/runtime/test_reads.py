"""The runtime knows no feature: the dispatcher names no command, button prefix or timer kind,
and every declarative query the features may ask for has its store read."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.core import reads
from bot.core.features import FEATURES, standard_registry
from bot.runtime.reads import READS

RUNTIME = Path(__file__).resolve().parents[2] / "bot" / "runtime"
FEATURE_MODULES = {f"bot.core.{name}" for name in (
    "appointments", "ask", "commands", "crisis", "delivery", "enrol", "groups", "handoff",
    "requeue", "staff", "supervision", "training", "weblogin", "features")}


def _vocabulary() -> set[str]:
    registry = standard_registry()
    words = {name for c in registry.commands() for name in (c.name, *c.aliases)}
    for feature in FEATURES:
        words |= {b.prefix for b in feature.buttons} | {t.kind for t in feature.timers}
    return words


def test_every_declarative_query_has_a_store_read() -> None:
    assert set(reads.QUERIES) == set(READS)


def test_the_dispatcher_names_no_command_prefix_or_timer_kind() -> None:
    tree = ast.parse((RUNTIME / "dispatcher.py").read_text())
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                and isinstance(n.value, str)}
    vocabulary = _vocabulary()
    assert {"kasus", "k:take:", "offer"} <= vocabulary  # the check can fail
    assert not literals & vocabulary, literals & vocabulary
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & FEATURE_MODULES, imported & FEATURE_MODULES
