"""Text catalogs: flows/texts/<lang>.yaml, nested keys flattened to "intake.welcome"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import FlowError
from bot.yamlsrc import LineDict, read_mapping

TELEGRAM_TEXT_LIMIT = 4096


class _Blank(dict):
    """format_map helper: unknown placeholders stay visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders; unknown ones are left as they are."""
    try:
        return template.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError):
        return template  # a stray brace in a catalog must never crash a conversation


@dataclass(frozen=True)
class TextRef:
    """A reference to a catalog key, or inline text per language."""

    key: str | None = None
    inline: Mapping[str, str] | None = None
    line: int = 0


@dataclass
class Catalog:
    """All texts per language, plus where each key was defined (for errors and lint)."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    origins: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    default_lang: str = "id"

    def has(self, lang: str, key: str) -> bool:
        return key in self.texts.get(lang, {})

    def get(self, key: str, lang: str, **values: Any) -> str:
        """The text for ``key`` in ``lang`` (falling back to the default language)."""
        text = self.texts.get(lang, {}).get(key)
        if text is None:
            text = self.texts.get(self.default_lang, {}).get(key, key)
        return fill(text, values)

    def render(self, ref: TextRef, lang: str, values: Mapping[str, Any]) -> str:
        if ref.inline is not None:
            text = ref.inline.get(lang) or ref.inline.get(self.default_lang) or ""
            return fill(text, values)
        return self.get(ref.key or "", lang, **values)


def _flatten(node: LineDict, prefix: str, path: Path, out: dict, lines: dict) -> None:
    for key, value in node.items():
        name = f"{prefix}{key}"
        line = node.key_lines.get(key, node.line)
        if isinstance(value, LineDict):
            _flatten(value, name + ".", path, out, lines)
        elif isinstance(value, str):
            out[name] = value.rstrip("\n")
            lines[name] = line
        else:
            raise FlowError(path, line, name, "a text must be a string or a nested mapping",
                            "quote the text, or use a block scalar (|) for several lines")


def load_catalogs(texts_dir: Path, languages: Iterable[str], default_lang: str) -> Catalog:
    """Load one catalog per language; a missing file or bad YAML is a FlowError."""
    catalog = Catalog(default_lang=default_lang)
    for lang in languages:
        path = texts_dir / f"{lang}.yaml"
        if not path.is_file():
            raise FlowError(path, None, "", f"text catalog for language {lang!r} is missing",
                            f"create {path} or remove {lang!r} from languages.available")
        tree = read_mapping(path, FlowError, "a catalog must be a mapping of keys to texts",
                            "see flows/texts/id.yaml")
        flat: dict[str, str] = {}
        lines: dict[str, int] = {}
        _flatten(tree, "", path, flat, lines)
        catalog.texts[lang] = flat
        for key, line in lines.items():
            catalog.origins[(lang, key)] = (str(path), line)
    return catalog
