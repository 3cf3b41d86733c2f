"""A fake Telegram Bot API server on loopback (aiohttp), strict like the real one.

It speaks the subset Sebaya uses: getMe, deleteWebhook, getUpdates (real long polling, offsets
confirm), sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
setMyCommands, leaveChat. Faults can be injected per method: 429 with retry_after, 500, a slow
answer, a timeout after the message was delivered, and 403 for users who blocked the bot.
Test-side helpers let a user say text, press a button by label and wait for messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Sebaya", "username": "SebayaTestBot"}


@dataclass
class Sent:
    message_id: int
    chat_id: int
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    at: float = 0.0
    photo: bytes = b""  # sendPhoto: the image (text holds the caption)


@dataclass
class Fault:
    """One injected fault: ``kind`` in 429 | 500 | slow | timeout_after_delivery |
    drop_after_delivery | forbidden."""

    kind: str
    retry_after: int = 1
    delay: float = 0.0


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST") -> None:
        self.token = token
        self.updates: list[dict] = []
        self.confirmed = 0  # highest offset the bot confirmed
        self.sent: list[Sent] = []
        self.by_chat: dict[int, list[Sent]] = {}
        self._chat_events: dict[int, asyncio.Event] = {}
        self.edits: list[dict] = []
        self.answered: list[str] = []
        self.commands: list[dict] = []
        self.webhook: dict = {}  # the last setWebhook call
        self.left: list[int] = []
        self.blocked: set[int] = set()
        self.faults: dict[str, list[Fault]] = {}
        self.fault_rate: float = 0.0  # share of sendMessage calls failing (chaos)
        self.fault_kinds: tuple[str, ...] = ("429", "500", "drop_after_delivery",
                                             "timeout_after_delivery")
        self.calls: dict[str, int] = {}
        self.faults_injected = 0
        self.pushed = 0  # updates ever pushed (confirmed ones leave ``updates``)
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._new_message = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._rng_state = 1
        self._closing = False

    # -- server ------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True  # end pending long polls now, not when their timeout runs out
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        raw = dict(await request.post()) if request.can_read_body else {}
        raw.update(request.query)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            try:
                out[key] = json.loads(value) if isinstance(value, str) else value
            except json.JSONDecodeError:
                out[key] = value
        return out

    def _ok(self, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _error(self, code: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        self.calls[method] = self.calls.get(method, 0) + 1
        params = await self._params(request)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found")
        fault = self._next_fault(method)
        if fault is not None and fault.kind not in ("timeout_after_delivery",
                                                    "drop_after_delivery"):
            if fault.kind == "429":
                return self._error(429, f"Too Many Requests: retry after {fault.retry_after}",
                                   retry_after=fault.retry_after)
            if fault.kind == "500":
                return self._error(500, "Internal Server Error")
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
        response = await handler(params)
        if fault is not None and fault.kind == "timeout_after_delivery":
            await asyncio.sleep(fault.delay)  # delivered, but the client gives up first
        if fault is not None and fault.kind == "drop_after_delivery":
            assert request.transport is not None
            request.transport.close()  # delivered, then the connection breaks (a reset)
        return response

    def _next_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        if queue:
            return queue.pop(0)
        if method == "sendMessage" and self.fault_rate:
            self._rng_state = (self._rng_state * 1103515245 + 12345) % 2**31
            if self._rng_state / 2**31 < self.fault_rate:
                kind = self.fault_kinds[self._rng_state % len(self.fault_kinds)]
                self.faults_injected += 1
                return Fault(kind, retry_after=1, delay=12.0)
        return None

    # -- methods -----------------------------------------------------------------------------

    async def _m_getMe(self, _: dict) -> web.Response:
        return self._ok(BOT_USER)

    async def _m_setWebhook(self, params: dict) -> web.Response:
        self.webhook = dict(params)  # url, secret_token, allowed_updates
        return self._ok(True)

    async def _m_deleteWebhook(self, _: dict) -> web.Response:
        return self._ok(True)

    async def _m_setMyCommands(self, params: dict) -> web.Response:
        if not isinstance(params.get("commands"), list):
            return self._error(400, "Bad Request: commands must be a list")
        self.commands.append(params)
        return self._ok(True)

    async def _m_getUpdates(self, params: dict) -> web.Response:
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while not self.updates and time.monotonic() < deadline and not self._closing:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self._ok(self.updates[:limit])

    async def _m_sendMessage(self, params: dict) -> web.Response:
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id is None or not isinstance(text, str | int) or str(text) == "":
            return self._error(400, "Bad Request: message text is empty")
        chat_id = int(chat_id)
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        text = str(text)
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        buttons = []
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return self._error(400, "Bad Request: BUTTON_DATA_INVALID")
                buttons.append((button["text"], button["callback_data"]))
        sent = self._record(Sent(next(self._ids), chat_id, text, buttons, time.monotonic()))
        return self._ok({"message_id": sent.message_id, "date": int(time.time()),
                         "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER,
                         "text": text})

    def _record(self, sent: Sent) -> Sent:
        self.sent.append(sent)
        self.by_chat.setdefault(sent.chat_id, []).append(sent)
        self._new_message.set()
        event = self._chat_events.get(sent.chat_id)
        if event is not None:
            event.set()
        return sent

    async def _m_sendPhoto(self, params: dict) -> web.Response:
        """Multipart upload, as PTB sends bytes: the photo must be a real, non-empty PNG."""
        chat_id, photo = params.get("chat_id"), params.get("photo")
        if chat_id is None or not hasattr(photo, "file"):
            return self._error(400, "Bad Request: there is no photo in the request")
        data = photo.file.read()
        if not data.startswith(b"\x89PNG"):
            return self._error(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption = str(params.get("caption") or "")
        if len(caption) > 1024:
            return self._error(400, "Bad Request: message caption is too long")
        sent = self._record(Sent(next(self._ids), int(chat_id), caption, [], time.monotonic(),
                                 data))
        return self._ok({"message_id": sent.message_id, "date": int(time.time()),
                         "chat": {"id": sent.chat_id, "type": "private"}, "from": BOT_USER,
                         "photo": [{"file_id": f"ph{sent.message_id}", "file_unique_id": "u",
                                    "width": 800, "height": 400}], "caption": caption})

    async def _m_editMessageText(self, params: dict) -> web.Response:
        self.edits.append(params)
        return self._ok(True)

    async def _m_editMessageReplyMarkup(self, params: dict) -> web.Response:
        """Like Telegram: the message must exist in that chat; an unchanged keyboard is an
        error; an empty reply_markup removes the buttons (later presses find none)."""
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        target = next((m for m in self.by_chat.get(int(chat_id or 0), ())
                       if m.message_id == int(message_id or 0)), None)
        if target is None:
            return self._error(400, "Bad Request: message to edit not found")
        buttons = [(b["text"], b["callback_data"]) for row in (
            params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        if buttons == target.buttons:
            return self._error(400, "Bad Request: message is not modified")
        target.buttons = buttons
        self.edits.append(params)
        return self._ok(True)

    async def _m_answerCallbackQuery(self, params: dict) -> web.Response:
        if "callback_query_id" not in params:
            return self._error(400, "Bad Request: query id required")
        self.answered.append(str(params["callback_query_id"]))
        return self._ok(True)

    async def _m_leaveChat(self, params: dict) -> web.Response:
        self.left.append(int(params["chat_id"]))
        return self._ok(True)

    # -- the test's side: people -----------------------------------------------------------

    def _push(self, update: dict) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        self.pushed += 1
        self.updates.append(update)
        self._new_update.set()
        return update_id

    def _user(self, user_id: int, first_name: str, username: str | None, lang: str) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": lang}
        if username:
            user["username"] = username
        return user

    def say(self, user_id: int, text: str, first_name: str = "Siswa",
            username: str | None = None, lang: str = "id", chat_type: str = "private",
            chat_id: int | None = None, **extra: Any) -> int:
        chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        message = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat,
                   "from": self._user(user_id, first_name, username, lang), "text": text, **extra}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return self._push({"message": message})

    def send_kind(self, user_id: int, kind: str, first_name: str = "Siswa",
                  caption: str | None = None) -> int:
        """A sticker, photo, voice or document message (no text; maybe a caption)."""
        payloads = {
            "sticker": {"sticker": {"file_id": "s1", "file_unique_id": "u1", "width": 512,
                                    "height": 512, "is_animated": False, "is_video": False,
                                    "type": "regular"}},
            "photo": {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90,
                                 "height": 90}]},
            "voice": {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 2}},
            "document": {"document": {"file_id": "d1", "file_unique_id": "u4"}},
        }
        message = {"message_id": next(self._ids), "date": int(time.time()),
                   "chat": {"id": user_id, "type": "private", "first_name": first_name},
                   "from": self._user(user_id, first_name, None, "id"), **payloads[kind]}
        if caption is not None:
            message["caption"] = caption
        return self._push({"message": message})

    def reply(self, user_id: int, to: Sent, text: str) -> int:
        """``user_id`` answers by replying to a message the bot sent them."""
        replied = {"message_id": to.message_id, "date": int(time.time()),
                   "chat": {"id": user_id, "type": "private"}, "from": BOT_USER,
                   "text": to.text[:100]}
        return self.say(user_id, text, reply_to_message=replied)

    def press(self, user_id: int, label: str, first_name: str = "Siswa",
              data: str | None = None) -> int:
        """Press the newest button with this label shown to this user (or send raw data)."""
        message = None
        if data is None:
            for sent in reversed(self.sent):
                match = [d for t, d in sent.buttons if t == label]
                if sent.chat_id == user_id and match:
                    message, data = sent, match[0]
                    break
            else:
                shown = [t for s in self.sent if s.chat_id == user_id for t, _ in s.buttons]
                raise AssertionError(f"no button {label!r} for {user_id}; seen {shown}")
        msg = {"message_id": message.message_id if message else 1, "date": int(time.time()),
               "chat": {"id": user_id, "type": "private"}, "from": BOT_USER, "text": "x"}
        return self._push({"callback_query": {
            "id": f"cq{next(self._ids)}", "from": self._user(user_id, first_name, None, "id"),
            "chat_instance": "ci", "data": data, "message": msg}})

    def raw(self, update: dict) -> int:
        return self._push(update)

    def to(self, chat_id: int) -> list[str]:
        return [s.text for s in self.by_chat.get(chat_id, ())]

    def count(self, chat_id: int) -> int:
        return len(self.by_chat.get(chat_id, ()))

    async def wait_count(self, chat_id: int, at_least: int, timeout: float = 10.0) -> None:
        """Wait until this chat has received ``at_least`` messages (wakes only this waiter)."""
        event = self._chat_events.setdefault(chat_id, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event.clear()  # clear before checking: a message in between is never missed
            if self.count(chat_id) >= at_least:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"chat {chat_id}: {self.count(chat_id)} < {at_least}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_for(self, predicate: Callable[[list[Sent]], bool],
                       timeout: float = 10.0) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while True:
            self._new_message.clear()  # clear before checking: nothing slips in between
            if predicate(self.sent):
                return self.sent
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; sent so far: {[s.text[:60] for s in self.sent]}")
            with contextlib.suppress(TimeoutError):  # re-check now and then: some predicates
                await asyncio.wait_for(self._new_message.wait(), min(remaining, 0.05))  # aren't
                # about messages (the bot leaving a chat, a callback answered)

    async def wait_text(self, chat_id: int, fragment: str, timeout: float = 10.0) -> Sent:
        def found() -> Sent | None:
            return next((s for s in reversed(self.by_chat.get(chat_id, ()))
                         if fragment in s.text), None)

        await self.wait_for(lambda _: found() is not None, timeout)
        hit = found()
        assert hit is not None
        return hit
