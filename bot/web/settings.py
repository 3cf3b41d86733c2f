"""Where the web view listens and the public base its links use (environment variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

HOST_ENV, PORT_ENV, URL_ENV = "SEBAYA_WEB_HOST", "SEBAYA_WEB_PORT", "SEBAYA_WEB_URL"


@dataclass(frozen=True)
class WebSettings:
    """``url`` is the public base (behind the school's https reverse proxy), e.g.
    ``https://bk.sekolah.sch.id``; without it, the local address is used."""

    host: str = "127.0.0.1"
    port: int = 8081
    url: str = ""
    enabled: bool = True  # SEBAYA_WEB_PORT=off: no web view (and /dasbor says so)

    @property
    def base(self) -> str:
        return (self.url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def secure(self) -> bool:
        """Cookies are Secure (and ``__Host-``) when the public base is https."""
        return urlsplit(self.base).scheme == "https"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"


def settings_from(env: Mapping[str, str] | None = None) -> WebSettings:
    """Read SEBAYA_WEB_HOST, SEBAYA_WEB_PORT (a number, or ``off``) and SEBAYA_WEB_URL
    (ValueError if malformed)."""
    env = os.environ if env is None else env
    url = env.get(URL_ENV, "").strip()
    port = env.get(PORT_ENV, "").strip()
    if port.lower() == "off":
        return WebSettings(url=url, enabled=False)
    if port and not (port.isdigit() and int(port) < 65536):
        raise ValueError(f"{PORT_ENV} must be a port number (or off), not {port!r}")
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{URL_ENV} must start with https:// (or http:// for a local test)")
    return WebSettings(env.get(HOST_ENV, "").strip() or "127.0.0.1", int(port or 8081), url)
