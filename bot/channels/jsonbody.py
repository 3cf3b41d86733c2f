"""Webhook bodies are read defensively: bounded size, bounded nesting, then parsed.

``json.loads`` recurses once per nesting level: a body of 100,000 "[" raises RecursionError
(a 500 that makes the platform retry for ever). Platforms send shallow JSON; anything deeper
than MAX_DEPTH is refused before parsing.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY = 256 * 1024
MAX_DEPTH = 32


class BadBody(ValueError):
    """Not a body we accept (too big, too deep, not JSON)."""


def depth_of(raw: bytes) -> int:
    """The deepest nesting of arrays and objects, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def parse(raw: bytes, max_body: int = MAX_BODY, max_depth: int = MAX_DEPTH) -> Any:
    if len(raw) > max_body:
        raise BadBody("body too large")
    if depth_of(raw) > max_depth:
        raise BadBody("nested too deeply")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BadBody("not JSON") from exc
