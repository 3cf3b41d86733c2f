"""Token patterns: ``@want ~2 @die``, ``nyilet|menyilet``, ``luka* ~3 nambah``, ``aja?``.

Elements are separated by spaces: a word, a prefix (``word*``), a class (``@name``), or any of
these joined by ``|``. ``~N`` lets up to N tokens of the same clause come before the next
element (``~N+`` may cross punctuation); a trailing ``?`` makes an element optional; ``$`` among the
alternatives of the last element means "or the clause ends here". A line break
right after an element does not count ("bunuh / diri" matches ``bunuh diri``).

Order-free patterns join elements with ``&`` and end with a window: ``@drug & berapa & biji ~6``
matches the three in any order within 6 tokens of one clause (``~6+`` across clauses), for
phrasings where order carries no meaning ("obat X berapa biji", "berapa biji obat X").

Matching is a bounded search from anchor positions: no regex, so no catastrophic backtracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.risk.normalize import BOUNDARIES, BREAK


class PatternError(ValueError):
    """A pattern uses an unknown class or is malformed; the message says which part."""


@dataclass(frozen=True)
class Element:
    words: frozenset[str]
    prefixes: tuple[str, ...]
    optional: bool
    gap: int  # tokens that may be skipped before this element
    crosses: bool = False  # the gap may run past a clause boundary (",", ".", line break)
    at_end: bool = False  # "$" among the alternatives: the clause may end here

    def accepts(self, token: str) -> bool:
        return token in self.words or (bool(self.prefixes) and token.startswith(self.prefixes))


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]
    unordered: bool = False
    window: int = 0
    crosses: bool = False

    def __post_init__(self) -> None:
        required = tuple(e.words for e in self.elements
                         if not (e.optional or e.prefixes or e.at_end))
        object.__setattr__(self, "_required", required)

    def possible(self, present: frozenset[str] | set[str]) -> bool:
        """False when some required element has none of its words in the message (a fast skip)."""
        for words in self._required:  # noqa: SIM110 - a plain loop is faster here
            if words.isdisjoint(present):
                return False
        return True

    def gate(self) -> frozenset[str] | None:
        """The smallest set of words one of which must be in a message for a match (or None)."""
        required = self._required  # type: ignore[attr-defined]
        return min(required, key=len) if required else None

    def anchors(self) -> tuple[frozenset[str], tuple[str, ...]]:
        if not self.unordered:
            first = self.elements[0]
            return first.words, first.prefixes
        words = frozenset().union(*(e.words for e in self.elements))
        return words, tuple(p for e in self.elements for p in e.prefixes)

    def match_at(self, tokens: list[str], start: int) -> tuple[int, int] | None:
        """(start, end) of a match anchored at ``start`` (end exclusive), or None."""
        if self.unordered:
            return self._unordered(tokens, start)
        if not self.elements[0].accepts(tokens[start]):
            return None
        end = self._rest(tokens, 1, start + 1)
        return (start, end) if end >= 0 else None

    def _rest(self, tokens: list[str], index: int, pos: int) -> int:
        if index == len(self.elements):
            return pos
        element = self.elements[index]
        if element.at_end and (pos >= len(tokens) or tokens[pos] in BOUNDARIES):
            return pos if index == len(self.elements) - 1 else -1
        if pos < len(tokens) and tokens[pos] == BREAK:
            pos += 1  # a phrase split over a line break still matches
        for at in range(pos, min(pos + element.gap + 1, len(tokens))):
            if element.accepts(tokens[at]):
                end = self._rest(tokens, index + 1, at + 1)
                if end >= 0:
                    return end
            if tokens[at] in BOUNDARIES and not element.crosses:
                break
        if element.optional:
            return self._rest(tokens, index + 1, pos)
        return -1

    def _unordered(self, tokens: list[str], anchor: int) -> tuple[int, int] | None:
        lo, hi = anchor, anchor
        while lo > 0 and anchor - lo < self.window and (
                self.crosses or tokens[lo - 1] not in BOUNDARIES):
            lo -= 1
        while hi < len(tokens) - 1 and hi - anchor < self.window and (
                self.crosses or tokens[hi + 1] not in BOUNDARIES):
            hi += 1
        used: set[int] = set()
        for element in self.elements:
            spot = next((i for i in sorted(range(lo, hi + 1), key=lambda i: abs(i - anchor))
                         if i not in used and element.accepts(tokens[i])), None)
            if spot is None:
                return None
            used.add(spot)
        if anchor not in used or max(used) - min(used) > self.window:
            return None
        return min(used), max(used) + 1


def _element(part: str, classes: Mapping[str, frozenset[str]], gap: int,
             crosses: bool) -> Element:
    optional = part.endswith("?")
    words: set[str] = set()
    prefixes: list[str] = []
    at_end = False
    for alt in part.rstrip("?").split("|"):
        if alt == "$":
            at_end = True
        elif alt.startswith("@"):
            if alt[1:] not in classes:
                raise PatternError(f"unknown class {alt!r}")
            words |= classes[alt[1:]]
        elif alt.endswith("*") and len(alt) > 3:
            prefixes.append(alt[:-1])
        elif alt and "*" not in alt:
            words.add(alt)
        else:
            raise PatternError(f"bad element {alt!r} in {part!r}")
    return Element(frozenset(words), tuple(prefixes), optional, gap, crosses, at_end)


def _gap(part: str, allowed: bool, most: int = 12) -> tuple[int, bool]:
    number = part[1:].rstrip("+")
    if not number.isdigit() or not allowed or int(number) > most:
        raise PatternError(f"bad gap {part!r}: write ~1 .. ~{most} (or ~N+ to cross "
                           "punctuation) between two elements"
                           + ("" if most == 12 else ", or as the window of & elements"))
    return int(number), part.endswith("+")


def compile_pattern(source: str, classes: Mapping[str, frozenset[str]]) -> Pattern:
    if "&" in source.split():
        return _compile_unordered(source, classes)
    elements: list[Element] = []
    gap, crosses = 0, False
    for part in source.split():
        if part.startswith("~"):
            gap, crosses = _gap(part, bool(elements))
            continue
        elements.append(_element(part, classes, gap, crosses))
        gap, crosses = 0, False
    if not elements:
        raise PatternError("empty pattern")
    if elements[0].optional:
        raise PatternError("the first element cannot be optional")
    return Pattern(source, tuple(elements))


def _compile_unordered(source: str, classes: Mapping[str, frozenset[str]]) -> Pattern:
    parts = source.split()
    window, crosses = 6, False
    if parts[-1].startswith("~"):
        window, crosses = _gap(parts.pop(), True, most=20)  # a window, not a gap
    groups = " ".join(parts).split("&")
    if len(groups) < 2 or any(len(g.split()) != 1 for g in groups):
        raise PatternError("an order-free pattern is single elements joined by & "
                           "(e.g. '@drug & berapa & biji ~6')")
    elements = [_element(g.strip(), classes, 0, False) for g in groups]
    if any(e.optional for e in elements):
        raise PatternError("elements of an order-free pattern cannot be optional")
    return Pattern(source, tuple(elements), True, window, crosses)
