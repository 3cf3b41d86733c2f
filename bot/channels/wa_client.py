"""A thin, typed client of the WhatsApp Business Cloud API (Meta's Graph API) on aiohttp.

It sends what it is given to ``POST /{phone_number_id}/messages`` (and uploads chart images
to ``/media``) and returns what Meta answered; it keeps no state besides its HTTP connections.
The base URL is configurable (tests point it at a fake server on loopback).
"""

from __future__ import annotations

from typing import Any

import aiohttp

DEFAULT_BASE_URL = "https://graph.facebook.com/v23.0"


class GraphError(Exception):
    """Meta refused a request: the HTTP status and Graph's error code (131047, 190 ...)."""

    def __init__(self, http_status: int, code: int, message: str = "", details: str = ""
                 ) -> None:
        super().__init__(f"{http_status} {code} {message}".strip())
        self.http_status = http_status
        self.code = code
        self.message = message
        self.details = details


class GraphUnreachable(Exception):
    """No answer: a timeout, a refused or broken connection (the message may have gone)."""


def api_base(base_url: str | None) -> str:
    if not base_url:
        return DEFAULT_BASE_URL
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"WHATSAPP_API_BASE_URL must start with http:// or https:// "
                         f"(got {base_url!r})")
    return base


class WhatsAppClient:
    """Graph API calls for one business phone number."""

    def __init__(self, token: str, phone_number_id: str, base_url: str | None = None,
                 timeout: float = 10.0, pool: int = 16) -> None:
        self.base = api_base(base_url)
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._pool = pool
        self._session: aiohttp.ClientSession | None = None
        self._urgent: aiohttp.ClientSession | None = None  # crisis alerts: own connections

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._pool))
            self._urgent = aiohttp.ClientSession(
                headers=self._headers, timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=2))

    async def close(self) -> None:
        for session in (self._session, self._urgent):
            if session is not None:
                await session.close()
        self._session = self._urgent = None

    def _pick(self, urgent: bool) -> aiohttp.ClientSession:
        session = self._urgent if urgent else self._session
        if session is None:
            raise RuntimeError("WhatsAppClient.start() was not called")
        return session

    async def send(self, payload: dict[str, Any], urgent: bool = False) -> str:
        """One message; returns its WhatsApp message id (wamid)."""
        url = f"{self.base}/{self.phone_number_id}/messages"
        answer = await self._call(self._pick(urgent).post(url, json=payload))
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise GraphError(200, 0, "no message id in the answer") from exc

    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        """The number's command menu (conversational components: at most 30 commands, names
        up to 32 characters, descriptions up to 256)."""
        url = f"{self.base}/{self.phone_number_id}/conversational_automation"
        await self._call(self._pick(False).post(url, json={"commands": [
            {"command_name": name[:32], "command_description": text[:256]}
            for name, text in commands[:30]]}))

    async def upload_png(self, data: bytes, urgent: bool = False) -> str:
        """Upload a PNG (a report chart); returns the media id to send it with."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", "image/png")
        form.add_field("file", data, filename="chart.png", content_type="image/png")
        url = f"{self.base}/{self.phone_number_id}/media"
        answer = await self._call(self._pick(urgent).post(url, data=form))
        if not isinstance(answer.get("id"), str):
            raise GraphError(200, 0, "no media id in the answer")
        return answer["id"]

    async def _call(self, request) -> dict[str, Any]:
        try:
            async with request as response:
                try:
                    answer = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    answer = None
                if response.status >= 400 or not isinstance(answer, dict):
                    raise _error(response.status, answer)
                return answer
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise GraphUnreachable(type(exc).__name__) from exc


def _error(status: int, answer: Any) -> GraphError:
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return GraphError(status, 0, "no error body")
    data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    return GraphError(status, code, str(error.get("message") or "")[:200],
                      str(data.get("details") or "")[:200])
