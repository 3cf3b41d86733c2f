"""Texts for staff in the recipient's language, when the turn that sends them is somebody
else's (an alert, an offer, a relay, a coaching nudge, a notice).

The core does not know the language of a person it did not load, and a message to a role
(every counselor) has many recipients. So a staff text is rendered in every language the
school offers: ``Localized`` is the default language's text (a ``str``, so everything that
reads a Send's text still works) carrying the others, and the outbox (runtime/effects.py)
queues the one in the recipient's language (``users.lang``, which /bahasa sets for staff).
Values that are themselves ``Localized`` (a category, a topic) are filled in per language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.core.context import Context
from bot.core.events import Button


class Localized(str):
    """A text in the default language that also knows itself in other languages."""

    variants: Mapping[str, str]

    def __new__(cls, default: str, variants: Mapping[str, str]) -> Localized:
        text = super().__new__(cls, default)
        text.variants = dict(variants)
        return text

    def in_lang(self, lang: str) -> str:
        return self.variants.get(lang, str(self))


def in_lang(value: Any, lang: str) -> Any:
    """``value`` in ``lang`` when it is Localized, else itself."""
    return value.in_lang(lang) if isinstance(value, Localized) else value


def staff_text(ctx: Context, key: str, **values: Any) -> Localized:
    """``key`` rendered in every language the school offers (default first)."""
    default = ctx.catalog.default_lang
    langs = dict.fromkeys([default, *ctx.languages])
    rendered = {lang: ctx.text(key, lang, **{k: in_lang(v, lang) for k, v in values.items()})
                for lang in langs}
    return Localized(rendered[default], rendered)


def for_recipient(text: str, buttons: tuple[Button, ...], lang: str
                  ) -> tuple[str, tuple[Button, ...]]:
    """What a recipient whose language is ``lang`` reads."""
    return in_lang(text, lang), tuple(
        Button(in_lang(b.label, lang), b.data) if isinstance(b.label, Localized) else b
        for b in buttons)


def per_lang(ctx: Context, render: Callable[[str], str]) -> Localized:
    """A text put together from several pieces, ``render(lang)`` for every language."""
    default = ctx.catalog.default_lang
    rendered = {lang: render(lang) for lang in dict.fromkeys([default, *ctx.languages])}
    return Localized(rendered[default], rendered)
