"""A school's channels in a district deployment: which environment variable holds its
Telegram token, its webhook path and secret, its WhatsApp number.

Secrets stay out of files: a school's token is ``TELEGRAM_BOT_TOKEN_<ID>`` (or the variable
its file names), and its webhook secret, unless ``TELEGRAM_WEBHOOK_SECRET_<ID>`` is set, is
derived from the installation secret and the school id, so every worker of a deployment
computes the same one and no school's secret tells anything about another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from bot.config import Config

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"


def env_suffix(school: str) -> str:
    """``smpn-1`` -> ``SMPN_1`` (what follows TELEGRAM_BOT_TOKEN_ for this school)."""
    return re.sub(r"[^A-Z0-9]", "_", school.upper())


def token_env(school: str | None, config: Config | None = None) -> str:
    """The variable that holds the school's bot token (the single school: TELEGRAM_BOT_TOKEN)."""
    if config is not None and config.channels.telegram.token_env:
        return config.channels.telegram.token_env
    return TOKEN_ENV if school is None else f"{TOKEN_ENV}_{env_suffix(school)}"


def token(config: Config, env: dict[str, str]) -> str:
    """The school's Telegram token from the environment, or "" (no Telegram for it)."""
    return env.get(token_env(config.school_id, config), "").strip()


def webhook_path(config: Config) -> str:
    """Where Telegram delivers this school's updates on the shared webhook server."""
    if config.channels.telegram.webhook_path:
        return config.channels.telegram.webhook_path
    return "/telegram" if config.school_id is None else f"/telegram/{config.school_id}"


def webhook_secret(config: Config, secret: bytes, env: dict[str, str]) -> str:
    """The school's webhook secret (Telegram's secret_token: A-Z, a-z, 0-9, _ and -)."""
    named = f"{WEBHOOK_SECRET_ENV}_{env_suffix(config.school_id or 'default')}"
    given = env.get(named, "").strip()
    if given:
        return given
    digest = hmac.new(secret, f"telegram-webhook:{config.school_id}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def webhook_url(base: str, config: Config) -> str:
    """The school's public webhook URL under the deployment's base (TELEGRAM_WEBHOOK_URL)."""
    return base.rstrip("/") + webhook_path(config)


def clashes(configs: list[Config], env: dict[str, str]) -> list[str]:
    """What two schools share that would send one school's people to the other: the same bot
    token, webhook path or WhatsApp number. [] when every school's channels are its own."""
    problems = []
    for what, key in (("Telegram token", lambda c: token(c, env)),
                      ("webhook path", webhook_path),
                      ("WhatsApp phone_number_id",
                       lambda c: c.channels.whatsapp.phone_number_id or "")):
        seen: dict[str, str] = {}
        for config in configs:
            value = key(config)
            if not value:
                continue
            school = config.school_id or "default"
            if value in seen:
                problems.append(f"schools {seen[value]} and {school} have the same {what}: "
                                "each school needs its own")
            seen.setdefault(value, school)
    return problems
