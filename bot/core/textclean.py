"""Student text as the core accepts it: no control characters, bounded length."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Invisible format characters (zero-width, bidi controls, BOM): kept in the text, but a message
# of nothing else is empty.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
                        "\ufeff]")
MAX_INBOUND_CHARS = 20000  # what is kept of one message (Telegram and WhatsApp allow 4096)


def clean_text(text: str, limit: int) -> tuple[str, bool]:
    """Strip control characters and outer blanks; cut to ``limit``. Returns (text, was_cut)."""
    text = _CONTROL.sub("", text).strip()
    if not _INVISIBLE.sub("", text).strip():
        return "", False
    if len(text) <= limit:
        return text, False
    return text[:limit].rstrip(), True


def command_name(text: str) -> tuple[str, str]:
    """("/Start@SebayaBot  foo" -> ("start", "foo")): lower-cased name without the bot suffix."""
    head, _, rest = text.strip().partition(" ")
    return head.lstrip("/").split("@", 1)[0].casefold(), rest.strip()


_SMALL_ID = re.compile(r"[0-9]{1,9}")


def is_small_id(text: str) -> bool:
    """ASCII digits only, at most nine (button data is forged often: "²", 25-digit ids)."""
    return _SMALL_ID.fullmatch(text) is not None


def button_parts(data: str) -> tuple[str, str, str]:
    """"f:state:id" -> ("f", "state", "id"); missing parts are empty (forged data is common)."""
    head, _, rest = data.partition(":")
    middle, _, tail = rest.partition(":")
    return head, middle, tail
