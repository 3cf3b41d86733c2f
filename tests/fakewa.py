"""A fake WhatsApp Cloud API (Graph API ``/messages``, ``/media``) and a fake Meta webhook
sender, on loopback (aiohttp), strict like the real one.

Graph side: ``POST /{version}/{phone_number_id}/messages`` (and without the version) checks the
bearer token and the payload as Meta does: at most 3 reply buttons with titles of at most 20
characters, lists of at most 10 rows with titles of at most 24, bodies of at most 1024 characters
in interactive messages and 4096 in text, templates that exist with the right parameters. Each
person has a 24-hour window opened by their last message: a free-form message outside it is
accepted and then fails with a ``131047`` status, like Meta's. Faults can be injected: 131047,
131056 (pair rate), 429 / 130429 (throttling), 5xx, operator errors (190), timeouts after
delivery, and failed statuses per person.

Webhook side: the fake signs every delivery (``X-Hub-Signature-256``, HMAC-SHA256 of the body
with the app secret), retries until it gets a 200 (Meta retries for days), can deliver the same
body several times or at once, delays re-deliveries, and sends statuses (sent, delivered, read)
in or out of order. One person's deliveries go in order (a lock per person); different people's
go at once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BUSINESS_NUMBER = "6281100000000"
WINDOW_SECONDS = 24 * 3600


@dataclass
class WaSent:
    """One message the bot sent, as the person sees it."""

    wamid: str
    to: str  # the person (their wa_id, or their BSUID when that is all the bot knows)
    kind: str  # text | buttons | list | template | image
    text: str  # the body (a template: its text with the parameters filled in)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (title, id) buttons/rows
    template: str = ""
    params: list[str] = field(default_factory=list)
    at: float = 0.0
    image: bytes = b""
    via: str = "to"  # "to" (phone number) or "recipient" (BSUID)


@dataclass
class FakeTemplate:
    """An approved template: its body with {1}.. placeholders and whether it has one
    quick-reply button (its label)."""

    body: str
    params: int
    button: str = ""
    language: str = "id"


@dataclass
class Fault:
    """One injected fault on the next send: ``kind`` in 131047 | 131056 | 130429 | 429 | 500 |
    131000 | 190 | 131026 | 132001 | timeout_after_delivery | slow."""

    kind: str
    delay: float = 0.0


DEFAULT_TEMPLATES = {  # as submitted (README: Templates to submit)
    "sebaya_alert": FakeTemplate("Sebaya: {1}. Tekan tombol di bawah untuk menanggapi, atau balas "
                                 "pesan ini untuk membaca selengkapnya.", 1, "Tanggapi"),
    "sebaya_notice": FakeTemplate("Sebaya: ada pesan baru untukmu di kasus #{1}. Balas pesan ini "
                                  "untuk membacanya; balasanmu diteruskan ke kasus itu.", 1),
    "sebaya_reminder": FakeTemplate("Pengingat dari Sebaya: {1} Balas pesan ini kalau ada "
                                    "pertanyaan.", 1),
    "sebaya_update": FakeTemplate("Kabar dari Sebaya: {1} Balas pesan ini kapan saja untuk "
                                  "melanjutkan.", 1),
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


class FakeWhatsApp:
    def __init__(self, token: str = "wa-test-token-0123", phone_number_id: str = "1000001",
                 app_secret: str = "wa-app-secret-0123", verify_token: str = "wa-verify-0123",
                 clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.clock = clock  # the people's clock (message timestamps, windows)
        self.templates: dict[str, FakeTemplate] = dict(DEFAULT_TEMPLATES)
        self.sent: list[WaSent] = []
        self.refused: list[tuple[int, dict, dict]] = []  # (http status, error, payload)
        self.by_user: dict[str, list[WaSent]] = {}
        self.last_inbound: dict[str, float] = {}
        self.bsuid: dict[str, str] = {}  # wa_id -> BSUID for people who have one
        self.hide_phone: set[str] = set()  # people whose webhooks carry only the BSUID
        self.faults: list[Fault] = []
        self.fail_status: dict[str, int] = {}  # person -> error code of a failed status next
        self.fault_rate = 0.0  # share of sends failing (chaos)
        self.fault_kinds: tuple[str, ...] = ("130429", "500", "timeout_after_delivery",
                                             "131056")
        self.faults_injected = 0
        self.calls: dict[str, int] = {}
        self.statuses = True  # send sent/delivered/read statuses for every message
        self.status_shuffle = False  # ... in a random order
        self.status_delay = 0.0
        self.duplicate_every = 0  # deliver every n-th webhook body twice
        self.redeliver_delay = 0.1  # seconds before a refused or failed delivery is retried
        self.webhook_url = ""
        self.webhook_answers: list[int] = []  # HTTP status of every delivery attempt
        self.media: dict[str, bytes] = {}
        self.commands: list[dict] = []  # the number's command menu (conversational components)
        self._ids = itertools.count(1)
        self._rng = random.Random(5)
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task] = set()
        self._new_message = asyncio.Event()
        self._user_events: dict[str, asyncio.Event] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""
        self.pushed = 0  # messages people wrote (each may be delivered several times)

    # -- server ------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_post("/{version}/{phone}/conversational_automation", self._automation)
        app.router.add_post("/{phone}/media", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v23.0"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _error(self, status: int, code: int, message: str, details: str = "") -> web.Response:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                                 "fbtrace_id": "Afake"}
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return web.json_response({"error": error}, status=status)

    def _authorised(self, request: web.Request) -> bool:
        return hmac.compare_digest(request.headers.get("Authorization", ""),
                                   f"Bearer {self.token}")

    async def _automation(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token.")
        payload = await request.json()
        commands = payload.get("commands", [])
        if len(commands) > 30 or any(len(c["command_name"]) > 32 for c in commands):
            return self._error(400, 100, "(#100) Invalid parameter")
        self.commands = commands
        return web.json_response({"success": True})

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token.")
        form = await request.post()
        file = form.get("file")
        if form.get("messaging_product") != "whatsapp" or not hasattr(file, "file"):
            return self._error(400, 100, "(#100) Invalid parameter")
        data = file.file.read()  # type: ignore[union-attr]
        if not data.startswith(b"\x89PNG"):
            return self._error(400, 131053, "Media upload error")
        media_id = f"media{next(self._ids)}"
        self.media[media_id] = data
        return web.json_response({"id": media_id})

    async def _messages(self, request: web.Request) -> web.Response:
        self.calls["messages"] = self.calls.get("messages", 0) + 1
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token.")
        if request.match_info["phone"] != self.phone_number_id:
            return self._error(400, 100, "(#100) Unsupported post request")
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(400, 100, "(#100) Invalid JSON")
        fault = self._next_fault()
        if fault is not None:
            response = await self._fault(fault, payload)
            if response is not None:
                return response
        problem = self._check(payload)
        if problem is not None:
            status, code, message = problem
            self.refused.append((status, {"code": code, "message": message}, payload))
            return self._error(status, code, message)
        sent = self._record(payload)
        if fault is not None and fault.kind == "timeout_after_delivery":
            await asyncio.sleep(fault.delay or 12.0)
        contact: dict[str, str] = {"input": payload.get("to") or payload.get("recipient")}
        contact["wa_id" if sent.via == "to" else "user_id"] = sent.to
        return web.json_response({"messaging_product": "whatsapp", "contacts": [contact],
                                  "messages": [{"id": sent.wamid}]})

    def _next_fault(self) -> Fault | None:
        if self.faults:
            return self.faults.pop(0)
        if self.fault_rate and self._rng.random() < self.fault_rate:
            self.faults_injected += 1
            return Fault(self._rng.choice(self.fault_kinds), delay=12.0)
        return None

    async def _fault(self, fault: Fault, payload: dict) -> web.Response | None:
        kind = fault.kind
        if kind == "slow":
            await asyncio.sleep(fault.delay)
            return None
        if kind == "429":
            return self._error(429, 4, "(#4) Application request limit reached")
        if kind == "130429":
            return self._error(400, 130429, "Rate limit hit", "Cloud API message throughput "
                               "has been reached.")
        if kind == "131056":
            return self._error(400, 131056, "(Business Account, Consumer Account) pair rate "
                               "limit hit")
        if kind == "131047":
            return self._error(400, 131047, "Re-engagement message", "Message failed to send "
                               "because more than 24 hours have passed since the customer last "
                               "replied to this number.")
        if kind == "500":
            return web.Response(status=500, text="Internal Server Error")
        if kind == "131000":
            return self._error(500, 131000, "Something went wrong")
        if kind == "190":
            return self._error(401, 190, "Error validating access token: Session has expired")
        if kind == "132001":
            return self._error(400, 132001, "Template name does not exist in the translation")
        if kind == "131026":
            return self._error(400, 131026, "Message undeliverable")
        return None  # timeout_after_delivery: delivered, then the answer comes too late

    # -- strict payload checks ---------------------------------------------------------------

    def _check(self, p: dict) -> tuple[int, int, str] | None:
        bad = (400, 100, "(#100) Invalid parameter")
        if p.get("messaging_product") != "whatsapp":
            return bad
        if bool(p.get("to")) == bool(p.get("recipient")):
            return (400, 100, "(#100) exactly one of to and recipient is required")
        kind = p.get("type", "text")
        if kind == "text":
            body = (p.get("text") or {}).get("body")
            if not isinstance(body, str) or not body.strip():
                return (400, 100, "(#100) The parameter text['body'] is required.")
            if len(body) > 4096:
                return (400, 100, "(#100) Param text['body'] must be at most 4096 characters "
                        "long.")
            return None
        if kind == "interactive":
            return self._check_interactive(p.get("interactive") or {})
        if kind == "template":
            return self._check_template(p.get("template") or {})
        if kind == "image":
            image = p.get("image") or {}
            if image.get("id") not in self.media:
                return (400, 131009, "Parameter value is not valid: unknown media id")
            if len(image.get("caption") or "") > 1024:
                return (400, 100, "(#100) caption must be at most 1024 characters long.")
            return None
        return (400, 131051, "Unsupported message type")

    def _check_interactive(self, i: dict) -> tuple[int, int, str] | None:
        body = (i.get("body") or {}).get("text")
        if not isinstance(body, str) or not body.strip():
            return (400, 100, "(#100) The parameter interactive['body']['text'] is required.")
        if len(body) > 1024:
            return (400, 131009, "Parameter value is not valid: body text is too long (1024)")
        action = i.get("action") or {}
        if i.get("type") == "button":
            buttons = action.get("buttons") or []
            if not 1 <= len(buttons) <= 3:
                return (400, 131009, "Parameter value is not valid: 1 to 3 buttons")
            titles, ids = [], []
            for b in buttons:
                reply = b.get("reply") or {}
                if b.get("type") != "reply" or not reply.get("id") or not reply.get("title"):
                    return (400, 100, "(#100) a reply button needs an id and a title")
                if len(reply["title"]) > 20:
                    return (400, 131009, "Parameter value is not valid: button title length "
                            "is too long (20)")
                if len(reply["id"]) > 256:
                    return (400, 131009, "Parameter value is not valid: button id is too long")
                titles.append(reply["title"])
                ids.append(reply["id"])
            if len(set(titles)) != len(titles) or len(set(ids)) != len(ids):
                return (400, 131009, "Parameter value is not valid: buttons must be unique")
            return None
        if i.get("type") == "list":
            label = action.get("button")
            if not isinstance(label, str) or not label or len(label) > 20:
                return (400, 131009, "Parameter value is not valid: list button label (20)")
            sections = action.get("sections") or []
            rows = [r for s in sections for r in s.get("rows") or []]
            if not sections or len(sections) > 10 or not 1 <= len(rows) <= 10:
                return (400, 131009, "Parameter value is not valid: 1 to 10 rows")
            if len(sections) > 1 and any(not s.get("title") for s in sections):
                return (400, 100, "(#100) section titles are required with several sections")
            if any(len(s.get("title") or "") > 24 for s in sections):
                return (400, 131009, "Parameter value is not valid: section title (24)")
            for r in rows:
                if not r.get("id") or not r.get("title"):
                    return (400, 100, "(#100) a row needs an id and a title")
                if len(r["title"]) > 24:
                    return (400, 131009, "Parameter value is not valid: row title length is "
                            "too long (24)")
                if len(r.get("description") or "") > 72:
                    return (400, 131009, "Parameter value is not valid: row description (72)")
                if len(r["id"]) > 200:
                    return (400, 131009, "Parameter value is not valid: row id is too long")
            ids = [r["id"] for r in rows]
            if len(set(ids)) != len(ids):
                return (400, 131009, "Parameter value is not valid: row ids must be unique")
            return None
        return (400, 131009, "Parameter value is not valid: interactive type")

    def _check_template(self, t: dict) -> tuple[int, int, str] | None:
        spec = self.templates.get(str(t.get("name")))
        if spec is None or (t.get("language") or {}).get("code") != spec.language:
            return (404, 132001, "Template name does not exist in the translation")
        params: list[str] = []
        payloads: list[str] = []
        for component in t.get("components") or []:
            if component.get("type") == "body":
                params += [str(p.get("text", "")) for p in component.get("parameters") or []]
            elif component.get("type") == "button":
                payloads += [str(p.get("payload", "")) for p in component.get("parameters") or []]
        if len(params) != spec.params:
            return (400, 132000, "Number of parameters does not match the expected number of "
                    "params")
        for text in params:
            if not text or "\n" in text or "\t" in text or "     " in text:
                return (400, 132018, "There was an issue with the parameters in your "
                        "template (no new lines, tabs or more than 4 spaces)")
        if payloads and (not spec.button or len(payloads) != 1 or len(payloads[0]) > 256):
            return (400, 131009, "Parameter value is not valid: quick reply payload")
        return None

    # -- what people receive ------------------------------------------------------------------

    def _record(self, p: dict) -> WaSent:
        via = "to" if p.get("to") else "recipient"
        person = self._person(str(p.get(via)))
        wamid = f"wamid.{_b64(f'out:{person}:{next(self._ids)}')}"
        kind, text, buttons, template, params, image = "text", "", [], "", [], b""
        if p.get("type") == "interactive":
            i = p["interactive"]
            text = i["body"]["text"]
            if i["type"] == "button":
                kind = "buttons"
                buttons = [(b["reply"]["title"], b["reply"]["id"]) for b in i["action"]["buttons"]]
            else:
                kind = "list"
                buttons = [(r["title"], r["id"]) for s in i["action"]["sections"]
                           for r in s["rows"]]
        elif p.get("type") == "template":
            kind, template = "template", p["template"]["name"]
            spec = self.templates[template]
            for component in p["template"].get("components") or []:
                if component.get("type") == "body":
                    params = [x["text"] for x in component.get("parameters") or []]
                elif component.get("type") == "button":
                    buttons = [(spec.button, x["payload"]) for x in component["parameters"]]
            text = spec.body
            for n, value in enumerate(params, 1):
                text = text.replace("{" + str(n) + "}", value)
        elif p.get("type") == "image":
            kind, image = "image", self.media[p["image"]["id"]]
            text = p["image"].get("caption") or ""
        else:
            text = p["text"]["body"]
        sent = WaSent(wamid, person, kind, text, buttons, template, params, time.monotonic(),
                      image, via)
        self.sent.append(sent)
        self.by_user.setdefault(person, []).append(sent)
        self._new_message.set()
        if person in self._user_events:
            self._user_events[person].set()
        failure = self.fail_status.pop(person, None)
        if failure is None and kind != "template" and not self.window_open(person):
            failure = 131047  # Meta accepts it, then reports it failed
        self._spawn(self._statuses(sent, failure))
        return sent

    def _person(self, address: str) -> str:
        """The fake's name for a person: their wa_id (a BSUID maps back to it)."""
        for wa_id, bsuid in self.bsuid.items():
            if bsuid == address:
                return wa_id
        return address

    def window_open(self, user: str) -> bool:
        last = self.last_inbound.get(user)
        return last is not None and self.clock() - last < WINDOW_SECONDS

    def age_window(self, user: str, hours: float = 25) -> None:
        """Pretend the person last wrote ``hours`` ago."""
        self.last_inbound[user] = self.clock() - hours * 3600

    def to(self, user: str) -> list[str]:
        return [s.text for s in self.by_user.get(user, ())]

    def sent_to(self, user: str) -> list[WaSent]:
        return list(self.by_user.get(user, ()))

    def count(self, user: str) -> int:
        return len(self.by_user.get(user, ()))

    async def wait_for(self, predicate: Callable[[list[WaSent]], bool],
                       timeout: float = 10.0) -> list[WaSent]:
        deadline = time.monotonic() + timeout
        while True:
            self._new_message.clear()
            if predicate(self.sent):
                return self.sent
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out; sent so far: "
                                     f"{[(s.to[-4:], s.text[:50]) for s in self.sent[-15:]]}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_message.wait(), min(remaining, 0.05))

    async def wait_text(self, user: str, fragment: str, timeout: float = 10.0) -> WaSent:
        def found() -> WaSent | None:
            return next((s for s in reversed(self.by_user.get(user, ())) if fragment in s.text),
                        None)

        await self.wait_for(lambda _: found() is not None, timeout)
        hit = found()
        assert hit is not None
        return hit

    async def wait_count(self, user: str, at_least: int, timeout: float = 10.0) -> None:
        """Wait until this person has received ``at_least`` messages (wakes only this waiter:
        benches run hundreds at once)."""
        event = self._user_events.setdefault(user, asyncio.Event())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event.clear()
            if self.count(user) >= at_least:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{user}: {self.count(user)} < {at_least}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # -- the webhook: people write, statuses come back --------------------------------------

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def envelope(self, value: dict) -> dict:
        return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
                "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": BUSINESS_NUMBER,
                                 "phone_number_id": self.phone_number_id}, **value}}]}]}

    def _contact(self, user: str, name: str) -> dict:
        contact: dict[str, Any] = {"profile": {"name": name}}
        if user not in self.hide_phone:
            contact["wa_id"] = user
        if user in self.bsuid:
            contact["user_id"] = self.bsuid[user]
        return contact

    def message(self, user: str, kind: str, body: dict, name: str = "Siswa",
                context: str | None = None, **extra: Any) -> tuple[str, dict]:
        """A webhook body with one message from ``user``; returns (wamid, body)."""
        wamid = f"wamid.{_b64(f'in:{user}:{next(self._ids)}')}"
        msg: dict[str, Any] = {"id": wamid, "timestamp": str(int(self.clock())), "type": kind,
                               kind: body, **extra}
        if user not in self.hide_phone:
            msg["from"] = user
        if user in self.bsuid:
            msg["from_user_id"] = self.bsuid[user]
        if context:
            msg["context"] = {"from": BUSINESS_NUMBER, "id": context}
        return wamid, self.envelope({"contacts": [self._contact(user, name)], "messages": [msg]})

    def _wrote(self, user: str, group: bool = False) -> None:
        if not group:
            self.last_inbound[user] = self.clock()
        self.pushed += 1

    def say(self, user: str, text: str, name: str = "Siswa", reply_to: WaSent | None = None,
            times: int = 1) -> str:
        wamid, body = self.message(user, "text", {"body": text}, name,
                                   reply_to.wamid if reply_to else None)
        self._wrote(user)
        self.deliver(body, user, times=times)
        return wamid

    def press(self, user: str, title: str, name: str = "Siswa") -> str:
        """Tap the newest button, list row or template quick reply with this title."""
        for sent in reversed(self.by_user.get(user, ())):
            match = [d for t, d in sent.buttons if t == title]
            if match:
                break
        else:
            shown = [t for s in self.by_user.get(user, ()) for t, _ in s.buttons]
            raise AssertionError(f"no button {title!r} for {user}; seen {shown}")
        return self.tap(user, sent, title, match[0], name)

    def tap(self, user: str, sent: WaSent, title: str, data: str, name: str = "Siswa") -> str:
        """Send the reply a tap produces (any id: a forged one too)."""
        if sent.kind == "template":
            wamid, body = self.message(user, "button", {"payload": data, "text": title}, name,
                                       sent.wamid)
        else:
            kind = "button_reply" if sent.kind == "buttons" else "list_reply"
            wamid, body = self.message(user, "interactive", {
                "type": kind, kind: {"id": data, "title": title}}, name, sent.wamid)
        self._wrote(user)
        self.deliver(body, user)
        return wamid

    def media_message(self, user: str, kind: str, caption: str | None = None) -> str:
        payloads: dict[str, dict] = {
            "image": {"id": "img1", "mime_type": "image/jpeg", "sha256": "x"},
            "video": {"id": "vid1", "mime_type": "video/mp4", "sha256": "x"},
            "document": {"id": "doc1", "mime_type": "application/pdf", "filename": "a.pdf"},
            "audio": {"id": "aud1", "mime_type": "audio/ogg", "voice": True},
            "sticker": {"id": "st1", "mime_type": "image/webp", "animated": False},
            "location": {"latitude": -6.2, "longitude": 106.8, "name": "Sekolah"},
            "contacts": [{"name": {"formatted_name": "Teman"}, "phones": [{"phone": "+62"}]}],
            "reaction": {"message_id": "wamid.x", "emoji": "👍"},
        }
        body = dict(payloads[kind]) if isinstance(payloads[kind], dict) else payloads[kind]
        if caption is not None and isinstance(body, dict):
            body["caption"] = caption
        wamid, envelope = self.message(user, kind, body)
        self._wrote(user)
        self.deliver(envelope, user)
        return wamid

    def group_message(self, user: str, text: str, group: str = "120363999") -> str:
        wamid, body = self.message(user, "text", {"body": text}, group_id=group)
        self._wrote(user, group=True)
        self.deliver(body, user)
        return wamid

    def deliver(self, body: dict, user: str = "", times: int = 1, signature: str | None = None,
                retry: bool = True) -> None:
        """Queue a webhook delivery (in order per person), retried until answered 200."""
        raw = json.dumps(body, ensure_ascii=False).encode()
        copies = times + (1 if self.duplicate_every and self.pushed % self.duplicate_every == 0
                          else 0)
        for _ in range(copies):
            self._spawn(self._post_until_ok(raw, user, signature, retry))

    async def post(self, body: dict | bytes, signature: str | None = None,
                   headers: dict[str, str] | None = None) -> int:
        """One delivery attempt now; returns the HTTP status (tests of refusals)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self._post(raw, signature, headers)

    async def _post(self, raw: bytes, signature: str | None = None,
                    headers: dict[str, str] | None = None) -> int:
        assert self._session is not None and self.webhook_url, "set webhook_url first"
        sent_headers = {"Content-Type": "application/json",
                        "X-Hub-Signature-256": signature if signature is not None
                        else self.sign(raw), **(headers or {})}
        if signature == "":
            del sent_headers["X-Hub-Signature-256"]
        try:
            async with self._session.post(self.webhook_url, data=raw,
                                          headers=sent_headers) as response:
                await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError, OSError):
            status = 0  # the bot is down: Meta tries again later
        self.webhook_answers.append(status)
        return status

    async def _post_until_ok(self, raw: bytes, user: str, signature: str | None,
                             retry: bool) -> None:
        lock = self._locks.setdefault(user, asyncio.Lock())
        async with lock:
            while True:
                status = await self._post(raw, signature)
                if status == 200 or not retry:
                    return
                await asyncio.sleep(self.redeliver_delay)

    async def _statuses(self, sent: WaSent, failure: int | None) -> None:
        if not self.statuses and failure is None:
            return
        stamp = str(int(self.clock()))
        recipient = {"recipient_id": sent.to}
        if sent.to in self.bsuid:
            recipient["recipient_user_id"] = self.bsuid[sent.to]
        if failure is not None:
            states = [{"id": sent.wamid, "status": "failed", "timestamp": stamp, **recipient,
                       "errors": [{"code": failure, "title": f"error {failure}",
                                   "error_data": {"details": "fake"}}]}]
        else:
            states = [{"id": sent.wamid, "status": s, "timestamp": stamp, **recipient}
                      for s in ("sent", "delivered", "read")]
        if self.status_shuffle:
            self._rng.shuffle(states)
        if self.status_delay:
            await asyncio.sleep(self.status_delay)
        for state in states:
            body = json.dumps(self.envelope({"statuses": [state]})).encode()
            await self._post_until_ok(body, "status:" + sent.wamid, None, True)

    def _spawn(self, coro) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop (a synchronous unit test): nothing to deliver
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every queued delivery was answered 200."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            assert time.monotonic() < deadline, f"{len(self._tasks)} deliveries still pending"
            await asyncio.sleep(0.02)
