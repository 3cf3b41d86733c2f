"""A python-telegram-bot request backend on aiohttp.

PTB lets a bot use any ``BaseRequest`` (its documented extension point); everything above it
(the ``Bot`` methods, JSON and error handling, ``RetryAfter``/``Forbidden``/``TimedOut``) stays
PTB's own. Why: in the end-to-end benchmark the default httpx backend was about half of the bot's
CPU, mostly connection-pool bookkeeping per request; aiohttp (already a dependency, for the
webhook) does the same work with its C HTTP parser and a simpler pool.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connection_pool_size`` connections."""

    def __init__(self, connection_pool_size: int = 8, read_timeout: float | None = 10.0,
                 connect_timeout: float = 10.0, write_timeout: float = 10.0,
                 media_write_timeout: float = 30.0) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        params = request_data.json_parameters if request_data else {}
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (self._connect_timeout if isinstance(connect_timeout, DefaultValue)
                   else connect_timeout)
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        body: aiohttp.FormData | dict[str, str] | None = params or None
        if files:
            form = aiohttp.FormData()
            for name, value in params.items():
                form.add_field(name, value)
            for name, part in files.items():
                filename, content, mimetype = part if isinstance(part, tuple) else (
                    None, part, None)
                form.add_field(name, content, filename=filename or name,
                               content_type=mimetype)
            body = form
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as res:
                return res.status, await res.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
