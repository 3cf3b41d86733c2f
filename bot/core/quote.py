"""How a student's words are quoted to staff."""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")


def quoted(text: str) -> str:
    """A student's words as staff see them: every line after the first behind a bar, so a line
    break cannot draw a block that looks like the bot's own (a fake "🚨 BUTUH GURU BK")."""
    return _LINE_BREAKS.sub("\n", text).replace("\n", "\n▏")
