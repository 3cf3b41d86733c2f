"""Telegram on python-telegram-bot's ``Bot`` client; durability is ours.

PTB's Updater confirms updates before handlers run, so a crash loses them; here every update is
committed to the inbox (``submit``) before the next ``getUpdates`` offset confirms it to Telegram.
Private chats only: in a group the bot says so and leaves. Callback queries are always answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.aiohttp_request import AiohttpRequest
from bot.core.events import (
    Button,
    CommandMenus,
    InboundEvent,
    Kind,
    OutboundMessage,
    SendResult,
    SendStatus,
)

log = logging.getLogger("sebaya.telegram")
TEXT_LIMIT = 4096
SEND_POOL = 16  # as many connections as the outbox serves recipients at once
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member",
                   "channel_post"]
GROUP_REPLY = ("Halo! Sebaya hanya bisa dipakai lewat chat pribadi, demi privasi. "
               "Hello! Sebaya only works in private chat, for privacy.")
Submit = Callable[[InboundEvent], Awaitable[int | None]]
SubmitMany = Callable[[list[InboundEvent]], Awaitable[list[int | None]]]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut at line breaks or spaces where possible, never inside a word when avoidable."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p] or [""]


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    if all(len(b.label) <= 3 for b in buttons):  # a 1-5 rating fits one row
        rows = [[InlineKeyboardButton(b.label, callback_data=b.data) for b in buttons]]
    else:
        rows = [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    return InlineKeyboardMarkup(rows)


def api_base(base_url: str | None) -> str:
    """The Bot API base for PTB: both documented forms of TELEGRAM_API_BASE_URL work,
    ``http://host:8081`` and PTB's own ``http://host:8081/bot``."""
    if not base_url:
        return "https://api.telegram.org/bot"
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"TELEGRAM_API_BASE_URL must start with http:// or https:// "
                         f"(got {base_url!r})")
    return base if base.endswith("/bot") else base + "/bot"


MEDIA_FIELDS = ("photo", "video", "document", "audio", "animation", "voice", "video_note",
                "sticker")


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramChannel:
    """The Telegram adapter: the only module that knows Telegram types."""

    name = "telegram"

    def __init__(self, token: str, base_url: str | None = None, poll_timeout: int = 25,
                 send_interval: float = 1 / 30, read_timeout: float = 10.0) -> None:
        base = api_base(base_url)
        self.bot = Bot(token, base_url=base,
                       request=AiohttpRequest(SEND_POOL, read_timeout=read_timeout),
                       get_updates_request=AiohttpRequest(1, read_timeout=5))
        # Crisis alerts get their own connections: never queued behind ordinary sends.
        self.urgent_bot = Bot(token, base_url=base,
                              request=AiohttpRequest(2, read_timeout=read_timeout))
        self.poll_timeout = poll_timeout
        self.group_reply: Callable[[str, str], str] = lambda _text, _bot: GROUP_REPLY
        self.send_interval = send_interval  # about 30 messages a second overall
        self._last_send = 0.0
        self.offset: int | None = None
        self.menus = CommandMenus()  # set by the App from the features' declarations

    async def start(self) -> None:
        await self.bot.initialize()
        await self.urgent_bot.initialize()
        await self.bot.delete_webhook(drop_pending_updates=False)
        for lang, commands in self.menus.student.items():
            await self.bot.set_my_commands(
                [BotCommand(c, d) for c, d in commands], scope=BotCommandScopeAllPrivateChats(),
                language_code=None if lang == "id" else lang)

    async def stop(self) -> None:
        await self.urgent_bot.shutdown()
        await self.bot.shutdown()

    async def set_staff_commands(self, address: str, role: str) -> None:
        """The command menu of one staff chat (students keep the default menu)."""
        commands = self.menus.for_role(role)
        try:
            await self.bot.set_my_commands([BotCommand(c, d) for c, d in commands],
                                           scope=BotCommandScopeChat(int(address)))
        except TelegramError as exc:
            log.info("staff menu not set: %s", type(exc).__name__)

    # -- inbound ----------------------------------------------------------------------------

    def to_event(self, update: Update) -> InboundEvent | None:
        """An InboundEvent, or None for updates with nothing to say (membership changes ...)."""
        external = str(update.update_id)
        if update.callback_query is not None:
            query = update.callback_query
            message = query.message
            if message is None or message.chat.type != "private":
                return None
            return InboundEvent(self.name, external, str(query.from_user.id),
                                str(message.chat.id), Kind.BUTTON, text="",
                                data=query.data or "",
                                lang_hint=query.from_user.language_code or "",
                                meta={"callback_id": query.id})
        message = update.message or update.edited_message
        if message is None or message.from_user is None:
            return None  # channel posts, my_chat_member, polls ...: nothing from a person
        user, chat = message.from_user, message.chat
        private = chat.type == "private"
        meta: dict = {}
        if message.reply_to_message is not None:  # staff answer a case by replying to it
            meta["reply_to"] = str(message.reply_to_message.message_id)
        if message.text is not None:
            kind = Kind.COMMAND if message.text.startswith("/") else Kind.TEXT
            text = message.text
        else:  # sticker, photo, voice, document ...: only a caption is read (and screened)
            kind, text = Kind.UNSUPPORTED, message.caption or ""
            meta["media"] = next((f for f in MEDIA_FIELDS if getattr(message, f, None)), "other")
        return InboundEvent(self.name, external, str(user.id), str(chat.id), kind, text=text,
                            private=private, lang_hint=user.language_code or "", meta=meta)

    async def handle_update(self, update: Update, submit: Submit) -> None:
        """Persist (via ``submit``) first; then the side effects that are safe to repeat."""
        event = await self._triage(update)
        if event is not None:
            await submit(event)
            await self._answer([event])

    async def _triage(self, update: Update) -> InboundEvent | None:
        """The event to persist, or None after dealing with groups and channels here."""
        event = self.to_event(update)
        if event is None:
            if update.channel_post is not None:
                await self._leave(update.channel_post.chat.id)
            return None
        if not event.private:
            await self._refuse_group(int(event.address), event.text)
            return None
        return event

    async def _answer(self, events: list[InboundEvent]) -> None:
        """Always answer callback queries (after they are persisted)."""
        for event in events:
            callback_id = event.meta.get("callback_id")
            if not callback_id:
                continue
            try:
                await self.bot.answer_callback_query(callback_id)
            except TelegramError as exc:  # an old query: nothing to answer any more
                log.info("callback answer failed: %s", type(exc).__name__)

    def bind_group_reply(self, reply: Callable[[str, str], str]) -> None:
        """What to say in a group, from its message and the bot's username (the app binds
        bot/core/public_chat.py: hotlines when the message carries crisis words)."""
        self.group_reply = reply

    async def _refuse_group(self, chat_id: int, text: str = "") -> None:
        try:
            reply = self.group_reply(text, self._username())
        except Exception:  # never stay in a group for want of a text
            log.exception("group reply could not be made; sent the plain refusal")
            reply = GROUP_REPLY
        with contextlib.suppress(TelegramError):
            await self.bot.send_message(chat_id, reply)
        await self._leave(chat_id)

    def _username(self) -> str:
        try:
            return self.bot.username or ""
        except RuntimeError:  # not initialized yet (getMe not answered): no link
            return ""

    async def _leave(self, chat_id: int) -> None:
        try:
            await self.bot.leave_chat(chat_id)
        except TelegramError as exc:
            log.info("leave chat failed: %s", type(exc).__name__)

    async def poll(self, submit: SubmitMany, stopping: asyncio.Event) -> None:
        """Long polling: each update is committed before the next offset confirms it."""
        backoff = 1.0
        while not stopping.is_set():
            try:
                updates = await self.fetch()
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(_retry_seconds(exc))
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", type(exc).__name__,
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            parsed = [self._parse(raw) for raw in updates]
            batch: list[InboundEvent] = []
            for update in parsed:
                event = await self._triage(update) if update is not None else None
                if event is not None:
                    batch.append(event)
            if batch:
                await submit(batch)  # committed: only now may the offset confirm them
                await self._answer(batch)
            if updates:
                self.offset = int(updates[-1]["update_id"]) + 1

    async def fetch(self) -> list[dict]:
        """Raw updates: parsed one by one, so one PTB cannot read never blocks the rest."""
        with warnings.catch_warnings():  # PTB prefers get_updates; we need the raw JSON
            warnings.simplefilter("ignore")
            result = await self.bot.do_api_request(
                "getUpdates",
                api_kwargs={"offset": self.offset, "timeout": self.poll_timeout,
                            "allowed_updates": ALLOWED_UPDATES},
                read_timeout=self.poll_timeout + 10)
        return [u for u in result or [] if isinstance(u, dict) and "update_id" in u]

    def _parse(self, raw: dict) -> Update | None:
        try:
            return Update.de_json(raw, self.bot)
        except Exception as exc:  # a field from a newer Bot API: skip this one update only
            log.warning("skipped an update that could not be read; update_id=%s (%s)",
                        raw.get("update_id"), type(exc).__name__)
            return None

    # -- outbound ---------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.edit_ref:
            return await self._retract(message)
        parts = split_text(message.text)
        last_id = ""
        try:
            if message.image is not None:  # a chart: the caption goes with it (1024 max)
                await self._pace()
                await self.bot.send_photo(int(message.address), photo=message.image,
                                          caption=message.text[:1024] or None)
                parts = split_text(message.text[1024:]) if len(message.text) > 1024 else []
            for index, part in enumerate(parts):
                await self._pace(skip_wait=message.urgent)
                markup = keyboard(message.buttons) if index == len(parts) - 1 else None
                last_id = await self._send_text(int(message.address), part, markup,
                                                message.urgent)
        except RetryAfter as exc:
            return SendResult(SendStatus.RETRY_AFTER, _retry_seconds(exc), "429")
        except Forbidden as exc:
            return SendResult(SendStatus.PERMANENT, detail=f"forbidden: {exc.message}"[:120])
        except BadRequest as exc:
            if "not found" in exc.message.lower() or "blocked" in exc.message.lower():
                return SendResult(SendStatus.PERMANENT, detail=exc.message[:120])
            return SendResult(SendStatus.PERMANENT, detail=f"bad request: {exc.message}"[:120])
        except NetworkError as exc:  # TimedOut included: it may have been delivered anyway
            return SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__)
        return SendResult(SendStatus.OK, ref=last_id)

    async def _retract(self, message: OutboundMessage) -> SendResult:
        """Edit the keyboard away from a sent offer or alert somebody already took."""
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=int(message.address), message_id=int(message.edit_ref),
                reply_markup=None)
        except RetryAfter as exc:
            return SendResult(SendStatus.RETRY_AFTER, _retry_seconds(exc), "429")
        except (BadRequest, Forbidden) as exc:  # not modified, too old, deleted, blocked:
            log.info("retraction skipped (%s)", type(exc).__name__)  # nothing left to do
        except NetworkError as exc:
            return SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__)
        return SendResult.ok()

    async def _send_text(self, chat_id: int, text: str, markup: object | None,
                         urgent: bool = False) -> str:
        """sendMessage through PTB's request layer (same errors, retries and timeouts as
        ``Bot.send_message``) without building a ``Message`` from the reply: nobody reads it,
        and that parse was a tenth of the sender's CPU in the benchmark profile."""
        kwargs: dict[str, object] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            kwargs["reply_markup"] = markup
        with warnings.catch_warnings():  # PTB suggests send_message; see the docstring
            warnings.simplefilter("ignore")
            bot = self.urgent_bot if urgent else self.bot
            result = await bot.do_api_request("sendMessage", api_kwargs=kwargs)
        return str(result.get("message_id", "")) if isinstance(result, dict) else ""

    async def _pace(self, skip_wait: bool = False) -> None:
        """About 30 messages a second overall; a crisis alert does not wait its turn."""
        loop = asyncio.get_running_loop()
        wait = self._last_send + self.send_interval - loop.time()
        if wait > 0 and not skip_wait:
            await asyncio.sleep(wait)
        self._last_send = loop.time()
