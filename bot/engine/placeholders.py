"""Placeholders in texts (``{school}``) checked before a student sees them.

At run time an unknown placeholder is left as it is (a conversation must never crash on a
text), so a misspelt ``{sekolah}`` would reach students as "{sekolah}". ``sebaya check-flows``
rejects it instead:

- a text a flow shows (prompt, button, ``say``) may use the values every text has (school, BK
  office and hours, hotlines), ``{input}``, and the variables the flows set (``set:`` keys and
  ``input: save:`` names);
- a text the bot itself sends (crisis replies, offers, reports ...) gets its values from the
  code, so each language must use the same placeholders as the default language.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.engine.catalog import Catalog, TextRef
from bot.engine.lint import texts_shown
from bot.engine.schema import Flow

EVERY_TEXT = ("school", "bk_office", "bk_hours", "hotlines", "input")


@dataclass(frozen=True)
class PlaceholderProblem:
    """One unknown placeholder: where it is written and where it is shown."""

    path: str
    line: int
    where: str  # "flow 'intake', state 'welcome'" or "text 'core.offer'"
    what: str
    hint: str

    def render(self) -> str:
        return f"{self.path}:{self.line}: error: {self.where}: {self.what}. Fix: {self.hint}"


def names_in(text: str) -> set[str] | None:
    """The placeholder names of a text, or None when its braces do not parse."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return None
    return {f.split(".")[0].split("[")[0] for f in fields if f}


def flow_variables(flows: Iterable[Flow]) -> set[str]:
    """Every variable some flow sets: ``set:`` keys and ``input: save:`` names."""
    out: set[str] = set()
    for flow in flows:
        for spec in flow.states.values():
            if spec.input and spec.input.save:
                out.add(spec.input.save)
            for _, handler in spec.handlers():
                for branch in handler.branches:
                    for action in branch.actions:
                        if action.name == "set":
                            out.update(str(k) for k in action.arg)
    return out


def _source(ref: TextRef, lang: str, catalog: Catalog, flow: Flow) -> tuple[str, str, int]:
    """(text, file, line) of a reference in one language."""
    if ref.inline is not None:
        return ref.inline.get(lang, ""), str(flow.path), ref.line
    path, line = catalog.origins.get((lang, ref.key or ""), (str(flow.path), ref.line))
    return catalog.texts.get(lang, {}).get(ref.key or "", ""), path, line


ALIASES = {  # Indonesian names a guru BK may write for the values every text has
    "sekolah": "school", "nama_sekolah": "school", "ruang_bk": "bk_office",
    "kantor_bk": "bk_office", "jam_bk": "bk_hours", "hotline": "hotlines", "topik": "topic",
    "cerita": "story", "berat": "weight", "masukan": "input",
}


def _suggest(name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    if ALIASES.get(name) in known:
        return f" (did you mean {{{ALIASES[name]}}}?)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {{{close[0]}}}?)" if close else ""


def check_placeholders(flows: Mapping[str, Flow], catalog: Catalog,
                       languages: Iterable[str]) -> list[PlaceholderProblem]:
    """Unknown placeholders and unparsable braces, in flows' texts and the bot's own."""
    languages = tuple(languages)
    known = set(EVERY_TEXT) | flow_variables(flows.values())
    out: list[PlaceholderProblem] = []
    in_flows: set[str] = set()
    seen: set[tuple[str, str, str]] = set()
    for flow in flows.values():
        for spec in flow.states.values():
            for ref in texts_shown(spec):
                in_flows.add(ref.key or "")
                for lang in languages:
                    text, path, line = _source(ref, lang, catalog, flow)
                    where = f"flow {flow.name!r}, state {spec.name!r}"
                    label = f"text {ref.key!r}" if ref.key else "inline text"
                    for name in sorted(_unknown(text, known)):
                        if (path, str(line), name) in seen:
                            continue
                        seen.add((path, str(line), name))
                        out.append(PlaceholderProblem(
                            path, line, where,
                            f"{label} ({lang}) uses unknown placeholder {{{name}}}"
                            f"{_suggest(name, known)}",
                            f"use one of {', '.join('{' + k + '}' for k in sorted(known))}, "
                            "or set that variable in a flow"))
                    if names_in(text) is None:
                        out.append(PlaceholderProblem(
                            path, line, where, f"{label} ({lang}) has a stray {{ or }}",
                            "write {{ and }} for a brace shown as it is"))
    out += _bot_texts(catalog, languages, in_flows)
    return out


def _unknown(text: str, known: set[str]) -> set[str]:
    return (names_in(text) or set()) - known


def _bot_texts(catalog: Catalog, languages: tuple[str, ...],
               in_flows: set[str]) -> list[PlaceholderProblem]:
    """Texts the code fills. Another language may use only the default language's
    placeholders; the default language's own are checked against the other languages and
    reported when one looks like a misspelling of theirs."""
    out = []
    default = catalog.default_lang
    keys = sorted({k for lang in languages for k in catalog.texts.get(lang, {})} - in_flows)
    for key in keys:
        found = {lang: names_in(catalog.texts[lang][key]) for lang in languages
                 if key in catalog.texts.get(lang, {})}
        for lang, names in found.items():
            path, line = catalog.origins.get((lang, key), (f"flows/texts/{lang}.yaml", 0))
            if names is None:
                out.append(PlaceholderProblem(path, line, f"text {key!r}",
                                              f"({lang}) has a stray {{ or }}",
                                              "write {{ and }} for a brace shown as it is"))
                continue
            others = set().union(*(n or set() for other, n in found.items() if other != lang))
            reference = found.get(default) or set() if lang != default else others
            for name in sorted(names - reference - set(EVERY_TEXT)):
                hint = _suggest(name, reference | set(EVERY_TEXT))
                if lang == default and not hint:
                    continue  # the other languages may leave a value out on purpose
                out.append(PlaceholderProblem(
                    path, line, f"text {key!r}",
                    f"({lang}) uses unknown placeholder {{{name}}}{hint}",
                    f"this text is filled by the bot with "
                    f"{', '.join('{' + k + '}' for k in sorted(reference)) or 'no values'} "
                    f"(as in the {'other languages' if lang == default else default + '.yaml'})"
                    " and the values every text has"))
    return out
