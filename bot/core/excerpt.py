"""What an alert quotes of a long message: the words the risk screen matched, with the text
around them, not the first few hundred characters (a crisis may sit at character 12,000)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

EXCERPT = 300  # characters an alert quotes of one message
_OVERLAP = 120  # a matched phrase shorter than this lies wholly inside one half (bisection)
_SENTENCE_END = re.compile(r"[.!?\n]")


def head(text: str, limit: int = EXCERPT) -> str:
    """The start of ``text``, marked with "…" when cut."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def locate(text: str, spans: Sequence[str],
           is_risky: Callable[[str], bool] | None = None,
           limit: int = EXCERPT) -> tuple[int, int] | None:
    """Where in ``text`` the risky words are: the matched spans found as written (case and
    spacing aside; else their longest run of two words or more), the window of ``limit``
    characters holding most of them (the later on a tie: a farewell ends a story); else the
    smallest part of the text ``is_risky`` still flags (halving with overlap, about
    log2(len/EXCERPT) screens). None when neither finds it."""
    found = [where for span in dict.fromkeys(spans) if (where := _find(text, span.split()))]
    if found:
        return _densest(sorted(found), limit)
    if is_risky is None:
        return None
    start, end = 0, len(text)
    while end - start > EXCERPT:
        mid = (start + end) // 2
        if is_risky(text[start:mid + _OVERLAP]):
            end = min(end, mid + _OVERLAP)
        elif is_risky(text[mid - _OVERLAP:end]):
            start = max(start, mid - _OVERLAP)
        else:  # the screen needs both halves together: the middle is as close as it gets
            return mid, mid
    return start, end


def _find(text: str, words: list[str]) -> tuple[int, int] | None:
    """Where ``words`` stand in ``text`` (case and spacing aside); else their longest run of
    two or more that does (the screen's words are normalised: "kalau aku pergi selamanya" of
    "kalo aku pergi selamanya")."""
    for size in range(len(words), min(2, len(words)) - 1, -1):
        for first in range(len(words) - size + 1):
            run = words[first:first + size]
            if where := re.search(r"\W+".join(map(re.escape, run)), text, re.IGNORECASE):
                return where.start(), where.end()
    return None


def _densest(found: list[tuple[int, int]], limit: int) -> tuple[int, int]:
    """The stretch from one found span to the last that still fits in ``limit`` characters
    with it, holding the most spans (the latest such stretch on a tie)."""
    best: tuple[int, int, int] = (0, *found[0])  # (count, start, end)
    for i, (start, end) in enumerate(found):
        inside = [e for s, e in found[i:] if max(e, end) - start <= limit]
        count, stretch = len(inside), max([end, *inside])
        if count >= best[0]:
            best = (count, start, stretch)
    return best[1], best[2]


def around(text: str, start: int, end: int, limit: int = EXCERPT) -> str:
    """The sentence holding ``text[start:end]`` when it fits in ``limit``, else ``limit``
    characters centred on it (cut at spaces), with "…" where text was left out."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.end() if right_match else len(text)
    if right - left > limit:
        middle = (start + end) // 2
        left = max(0, min(middle - limit // 2, len(text) - limit))
        right = min(len(text), left + limit)
        if left > 0 and (space := text.find(" ", left, start)) != -1:
            left = space + 1
        if right < len(text) and (space := text.rfind(" ", end, right)) != -1:
            right = space
    part = text[left:right].strip()
    return ("… " if text[:left].strip() else "") + part + (
        " …" if text[right:].strip() else "")


def risky(text: str, spans: Sequence[str], is_risky: Callable[[str], bool] | None = None,
          limit: int = EXCERPT) -> str:
    """The whole message when short, else the part around the words that raised the alert
    (the start when they cannot be found)."""
    if len(text) <= limit:
        return text
    where = locate(text, spans, is_risky, limit)
    return head(text, limit) if where is None else around(text, *where, limit)
