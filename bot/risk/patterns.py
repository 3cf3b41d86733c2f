"""Token patterns: ``@want ~2 @die``, ``nyilet|menyilet``, ``luka* ~3 nambah``, ``aja?``.

Elements are separated by spaces: a word, a prefix (``word*``), a class (``@name``), or any of
these joined by ``|``. ``~N`` lets up to N tokens of the same clause come before the next
element (``~N+`` may cross punctuation); a trailing ``?`` makes an element optional. Matching is
a bounded search from anchor positions: no regex, so no catastrophic backtracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.risk.normalize import BOUNDARY


class PatternError(ValueError):
    """A pattern uses an unknown class or is malformed; the message says which part."""


@dataclass(frozen=True)
class Element:
    words: frozenset[str]
    prefixes: tuple[str, ...]
    optional: bool
    gap: int  # tokens that may be skipped before this element
    crosses: bool = False  # the gap may run past a clause boundary (",", ".", line break)

    def accepts(self, token: str) -> bool:
        return token in self.words or (bool(self.prefixes) and token.startswith(self.prefixes))


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]

    def anchors(self) -> tuple[frozenset[str], tuple[str, ...]]:
        first = self.elements[0]
        return first.words, first.prefixes

    def match_at(self, tokens: list[str], start: int) -> int:
        """End index (exclusive) of a match beginning at ``start``, or -1."""
        if not self.elements[0].accepts(tokens[start]):
            return -1
        return self._rest(tokens, 1, start + 1)

    def _rest(self, tokens: list[str], index: int, pos: int) -> int:
        if index == len(self.elements):
            return pos
        element = self.elements[index]
        for at in range(pos, min(pos + element.gap + 1, len(tokens))):
            if element.accepts(tokens[at]):
                end = self._rest(tokens, index + 1, at + 1)
                if end >= 0:
                    return end
            if tokens[at] == BOUNDARY and not element.crosses:
                break
        if element.optional:
            return self._rest(tokens, index + 1, pos)
        return -1


def compile_pattern(source: str, classes: Mapping[str, frozenset[str]]) -> Pattern:
    elements: list[Element] = []
    gap, crosses = 0, False
    for part in source.split():
        if part.startswith("~"):
            number = part[1:].rstrip("+")
            if not number.isdigit() or not elements or int(number) > 12:
                raise PatternError(f"bad gap {part!r}: write ~1 .. ~12 (or ~N+ to cross "
                                   "punctuation) between two elements")
            gap, crosses = int(number), part.endswith("+")
            continue
        optional = part.endswith("?")
        words: set[str] = set()
        prefixes: list[str] = []
        for alt in part.rstrip("?").split("|"):
            if alt.startswith("@"):
                if alt[1:] not in classes:
                    raise PatternError(f"unknown class {alt!r}")
                words |= classes[alt[1:]]
            elif alt.endswith("*") and len(alt) > 3:
                prefixes.append(alt[:-1])
            elif alt and "*" not in alt:
                words.add(alt)
            else:
                raise PatternError(f"bad element {alt!r} in {part!r}")
        elements.append(Element(frozenset(words), tuple(prefixes), optional, gap, crosses))
        gap, crosses = 0, False
    if not elements:
        raise PatternError("empty pattern")
    if elements[0].optional:
        raise PatternError("the first element cannot be optional")
    return Pattern(source, tuple(elements))
