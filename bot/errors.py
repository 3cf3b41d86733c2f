"""Typed errors of Sebaya's library code. Exit codes live only in cli.py."""

from __future__ import annotations

from pathlib import Path


class SebayaError(Exception):
    """Base class for all errors Sebaya raises on purpose."""


class SourceError(SebayaError):
    """A problem in a file a person wrote (config.yaml, a flow, a text catalog).

    Rendered as ``file:line: where: what. Fix: hint`` so the reader can jump straight there.
    """

    def __init__(
        self, path: str | Path, line: int | None, where: str, what: str, hint: str = ""
    ) -> None:
        self.path = str(path)
        self.line = line
        self.where = where
        self.what = what
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{loc}: {self.where}: {self.what}" if self.where else f"{loc}: {self.what}"
        return f"{text}. Fix: {self.hint}" if self.hint else text


class ConfigError(SourceError):
    """config.yaml (or an environment variable) is invalid."""


class FlowError(SourceError):
    """A flow or text catalog under flows/ is invalid."""
