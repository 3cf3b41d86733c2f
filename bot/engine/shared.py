"""Answers a flow marks ``share: true``: kept beside the variables and handed to the helper
with the story (the offer, guru BK's notice, the crisis alert and the case's intake record).

Without this, an answer to a new question (a class, a teacher's name) reached nobody: only the
topic, the weight and the story went with a case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SHARED = "shared"  # variable: {label: answer}, in the order asked


def remember(variables: dict[str, Any], label: str, answer: str) -> None:
    """Keep one shared answer (a question asked again replaces its answer)."""
    shared = dict(variables.get(SHARED) or {})
    shared.pop(label, None)
    shared[label] = answer
    variables[SHARED] = shared


def with_shared(story: str, variables: Mapping[str, Any]) -> str:
    """The story with the shared answers after it, one "label: answer" line each."""
    shared = variables.get(SHARED) or {}
    if not isinstance(shared, Mapping) or not shared:
        return story
    block = "\n".join(f"{label}: {answer}" for label, answer in shared.items())
    if block in story:  # already added (a case built twice from the same variables)
        return story
    return f"{story}\n\n{block}" if story else block
