"""Secrets never reach a log line or an error message: a logging filter and a helper that
replace every configured secret (bot token, installation secret, webhook secrets) with a mark.

python-telegram-bot puts the token in some exception texts (``InvalidToken``: "The token `…` was
rejected"), and URLs with the token can appear in library warnings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

SECRET_ENV = ("TELEGRAM_BOT_TOKEN", "SEBAYA_SECRET", "SEBAYA_NEW_SECRET", "TELEGRAM_WEBHOOK_SECRET",
              "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
              "SEBAYA_DATABASE_URL")
# a district's schools: TELEGRAM_BOT_TOKEN_<ID>, TELEGRAM_WEBHOOK_SECRET_<ID> (bot/schools)
PER_SCHOOL = ("TELEGRAM_BOT_TOKEN_", "TELEGRAM_WEBHOOK_SECRET_")
MARK = "[redacted]"


class Redactor(logging.Filter):
    """Replaces each secret (at least 6 characters) wherever it appears."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    @classmethod
    def from_env(cls) -> Redactor:
        return cls(value.strip() for name, value in os.environ.items()
                   if name in SECRET_ENV or name.startswith(PER_SCHOOL))

    def text(self, value: object) -> str:
        out = str(value)
        for secret in self.secrets:
            out = out.replace(secret, MARK)
        return out

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self.text(record.getMessage())
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.text(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True

    def install(self) -> None:
        """On every handler of the root logger (so every library's records pass through)."""
        for handler in logging.getLogger().handlers:
            handler.addFilter(self)
