"""WhatsApp on the WhatsApp Business Cloud API: a signed webhook in, Graph API calls out.

Inbound (``POST /webhooks/whatsapp``): the ``X-Hub-Signature-256`` HMAC of the raw body is
checked in constant time before anything is parsed (missing or wrong: 401, nothing stored
but an audit row); the body is bounded (jsonbody); messages are committed to the inbox
(``submit``) before the 200, and a failure answers 500 so Meta delivers again; statuses come
after the messages and never cost one. Changes are routed by ``metadata.phone_number_id``: a
number that is not ours is ignored, logged and audited. The WhatsApp message id is the inbox's
external id as a keyed hash (a wamid encodes the sender's phone number), so a delivery Meta
repeats for days is handled once. ``GET`` answers Meta's verification challenge.

People: the identity is the wa_id or the business-scoped user id (BSUID), whichever arrives;
both are kept only as keyed hashes linked to one canonical id, so a person keeps one
pseudonymous key. Phone numbers and profile names are never stored in clear, never logged.

Outbound: up to 3 options become reply buttons (titles up to 20 characters), up to 10 a list
(rows up to 24), more a numbered text answered with the number; long texts are split (4096,
1024 with buttons). Sent buttons cannot be removed on WhatsApp: retractions are no-ops (a stale
press is refused by the core). Outside a person's 24-hour window only templates go (see
``_outside_window``); Meta's error codes map to retry-after, transient, permanent or held.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.channels import jsonbody
from bot.channels.base import DeliveryReport, ReportSink
from bot.channels.telegram import split_text
from bot.channels.wa_client import GraphError, GraphUnreachable, WhatsAppClient
from bot.clock import Clock, SystemClock
from bot.config import WhatsApp, WhatsAppTemplate
from bot.core.events import (
    Button,
    CommandMenus,
    InboundEvent,
    Kind,
    OutboundMessage,
    SendResult,
    SendStatus,
)
from bot.core.identity import IdentityVault
from bot.engine.catalog import Catalog
from bot.engine.schema import Flow
from bot.store import audit
from bot.store import whatsapp as wa_store
from bot.store.db import LANE_FLOW, Store

log = logging.getLogger("sebaya.whatsapp")

WEBHOOK_PATH = "/webhooks/whatsapp"
MAX_BODY = 3 * 1024 * 1024  # Meta's webhook payloads are at most 3 MB (statuses are batched)
SIGNATURE_HEADER = "X-Hub-Signature-256"
TEXT_LIMIT = 4096
INTERACTIVE_BODY = 1024
MAX_BUTTONS, BUTTON_TITLE = 3, 20
MAX_ROWS, ROW_TITLE, ROW_DESCRIPTION = 10, 24, 72
LIST_BUTTON = "Pilih / Choose"
NUMBERED_HINT = "Balas dengan angkanya / reply with the number."
MENU_LIFETIME = dt.timedelta(hours=24)
TEMPLATE_TEXT = 900  # a template parameter carrying a whole message, on one line

# Meta's error codes (Graph API and failed statuses), by what the outbox should do.
WINDOW_CLOSED = 131047  # more than 24 hours since the person last wrote
PAIR_RATE = 131056  # too many messages to this one person: slow down for them only
THROTTLED = {4, 80007, 130429, 131048, 133016}  # the app, the account, the number: pause all
RETRYABLE = {1, 2, 131000, 131016, 131053}
RECIPIENT = {131021, 131026, 131049, 131050, 131051}  # this person cannot get it
OPERATOR = {0, 3, 10, 190, 200, 368, 131031, 131042, 131045, 131052, 131057}  # + 132xxx, 133xxx
OPERATOR_HINTS = {
    190: "the access token expired or is wrong: create a permanent System User token",
    368: "the number is temporarily blocked for policy violations: see WhatsApp Manager",
    131031: "the WhatsApp Business account is locked: see WhatsApp Manager",
    131042: "payment problem: add a payment method in WhatsApp Manager",
}

ENV = ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET",
       "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_API_BASE_URL")


def _operator(code: int) -> bool:
    return code in OPERATOR or 132000 <= code < 134000


@dataclass(frozen=True)
class WhatsAppSettings:
    """The credentials, from the environment (never from config.yaml)."""

    access_token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    base_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WhatsAppSettings | None:
        """None when WhatsApp is not configured; ValueError naming what is missing when it
        is configured only in part."""
        env = os.environ if env is None else env
        values = {name: env.get(name, "").strip() for name in ENV}
        required = ENV[:4]
        if not any(values[name] for name in required):
            return None
        missing = [name for name in required if not values[name]]
        if missing:
            raise ValueError(f"WhatsApp is configured in part: set {', '.join(missing)}")
        return cls(*(values[name] for name in required), values[ENV[4]] or None)


# -- shapes: what a message's buttons become on WhatsApp ---------------------------------------

@dataclass(frozen=True)
class Shape:
    kind: str  # text | buttons | list | numbered
    notes: tuple[str, ...] = ()  # what changed compared with Telegram (check-flows warnings)


def shape_of(labels: list[str]) -> Shape:
    """Reply buttons for up to 3 short, distinct labels; a list for up to 10; numbered text
    beyond (the same rule at send time and in ``sebaya check-flows``)."""
    count = len(labels)
    if not count:
        return Shape("text")
    if count > MAX_ROWS:
        return Shape("numbered", (f"{count} buttons: sent as numbered text on WhatsApp (more "
                                  f"than {MAX_ROWS}); the student replies with the number",))
    if (count <= MAX_BUTTONS and all(len(label) <= BUTTON_TITLE for label in labels)
            and len(set(labels)) == count):
        return Shape("buttons")
    notes = []
    if count <= MAX_BUTTONS:
        notes.append(f"a label is over {BUTTON_TITLE} characters (or repeated): shown as a "
                     "list on WhatsApp instead of buttons")
    else:
        notes.append(f"{count} buttons: shown as a list on WhatsApp (at most {MAX_BUTTONS} "
                     "buttons there)")
    cut = [label for label in labels if len(label) > ROW_TITLE]
    if cut:
        notes.append(f"cut to {ROW_TITLE} characters in the WhatsApp list (the full label "
                     f"shows below the row): {', '.join(repr(c) for c in cut)}")
    return Shape("list", tuple(notes))


def whatsapp_notes(flow: Flow, catalog: Catalog, languages: tuple[str, ...]) -> list[str]:
    """For `sebaya check-flows`: states whose buttons WhatsApp shows differently (a list
    instead of buttons, labels cut, numbered text), with file and line."""
    out = []
    for spec in flow.states.values():
        if not spec.buttons:
            continue
        seen: dict[str, list[str]] = {}
        for lang in languages:
            labels = [catalog.render(b.text, lang, {}) for b in spec.buttons]
            for note in shape_of(labels).notes:
                seen.setdefault(note, []).append(lang)
        out += [f"{flow.path}:{spec.line}: whatsapp: state {spec.name!r} ({', '.join(langs)}): "
                f"{note}" for note, langs in seen.items()]
    return out


def _address(to: str) -> dict[str, str]:
    """A phone number (wa_id) goes in ``to``, a business-scoped user id in ``recipient``."""
    return {"to": to} if to.isdigit() else {"recipient": to}


def _base(to: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", **_address(to)}


def text_payload(to: str, body: str) -> dict[str, Any]:
    return {**_base(to), "type": "text", "text": {"body": body, "preview_url": False}}


def buttons_payload(to: str, body: str, buttons: tuple[Button, ...]) -> dict[str, Any]:
    return {**_base(to), "type": "interactive", "interactive": {
        "type": "button", "body": {"text": body}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": b.data, "title": b.label}} for b in buttons]}}}


def list_payload(to: str, body: str, buttons: tuple[Button, ...]) -> dict[str, Any]:
    rows = []
    for b in buttons:
        row: dict[str, str] = {"id": b.data, "title": b.label}
        if len(b.label) > ROW_TITLE:
            row["title"] = b.label[:ROW_TITLE - 1].rstrip() + "…"
            row["description"] = b.label[:ROW_DESCRIPTION]
        rows.append(row)
    return {**_base(to), "type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": LIST_BUTTON, "sections": [{"rows": rows}]}}}


def one_line(text: str, limit: int) -> str:
    """A template parameter: no line breaks, tabs or runs of spaces (Meta refuses them)."""
    flat = re.sub(r"\s*\n\s*", " · ", text.strip())
    flat = re.sub(r"\s+", " ", flat)
    return (flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…") or "-"


def numbered(text: str, buttons: tuple[Button, ...]) -> str:
    lines = [f"{n}. {b.label}" for n, b in enumerate(buttons, 1)]
    return f"{text}\n\n" + "\n".join(lines) + f"\n\n{NUMBERED_HINT}"


# -- the channel ---------------------------------------------------------------------------------

@dataclass
class Batch:
    """What one webhook delivery carried, read but not yet resolved."""

    messages: list[tuple[dict, dict]] = field(default_factory=list)  # (message, its contact)
    statuses: list[DeliveryReport] = field(default_factory=list)
    unknown_numbers: list[str] = field(default_factory=list)
    groups: int = 0


Submit = Callable[[list[InboundEvent]], Awaitable[list[int | None]]]


class WhatsAppChannel:
    """The WhatsApp adapter: the only module that knows WhatsApp's payloads."""

    name = "whatsapp"
    reply_window = dt.timedelta(hours=24)  # the outbox tells us whether it is open
    reports_delivery = True  # statuses come later: keep a message's words until delivered
    pair_rate_pause = 6.0  # seconds: Meta allows about one message per 6 s to one person

    def __init__(self, settings: WhatsAppSettings, secret: bytes, rules: WhatsApp | None = None,
                 school: str = "", send_interval: float = 0.0, timeout: float = 10.0,
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.client = WhatsAppClient(settings.access_token, settings.phone_number_id,
                                     settings.base_url, timeout=timeout)
        rules = rules or WhatsApp()
        self.templates: dict[str, WhatsAppTemplate] = dict(rules.templates)
        self.hold_for = dt.timedelta(hours=rules.hold_hours)
        self.staff_hold_for = dt.timedelta(minutes=rules.staff_hold_minutes)
        self.school = school
        self.send_interval = send_interval
        self.clock = clock or SystemClock()
        self.store: Store | None = None
        # Keyed hashes of identifiers and message ids (a wamid encodes a phone number).
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sebaya-v1",
                         info=b"whatsapp-ids").derive(secret)
        self._identities: dict[str, str] = {}  # id hash -> canonical id (links never move)
        self._menus: set[str] = set()  # address hashes given a numbered menu by this process
        self.menus = CommandMenus()  # the command menu, set by the App from the declarations
        self._knocked: dict[tuple[str, str], float] = {}
        self._noted: dict[str, float] = {}  # audit actions recently written (rate limit)
        self._last_send = 0.0
        self._tasks: set[asyncio.Task] = set()
        self._inbound: list[tuple[Submit, list[InboundEvent], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None

    def bind(self, store: Store, vault: IdentityVault | None = None) -> None:
        """The store keeps identity links, numbered menus and webhook audit rows. With the
        vault, id hashes use a key of the database's root key (bot/core/keyring.py), so a
        rotated secret (sebaya secret rotate) keeps every WhatsApp person the same; the key
        from the secret alone is the same for a database made before envelope keys."""
        self.store = store
        if vault is not None:
            self._key = vault.subkey("whatsapp-ids")

    async def start(self) -> None:
        await self.client.start()
        commands = list(self.menus.student.get(self.menus.lang, ()))
        if commands:  # one menu for the whole number (WhatsApp has no per-chat menus)
            try:
                await self.client.set_commands(commands)
            except (GraphError, GraphUnreachable) as exc:
                log.info("command menu not set: %s", type(exc).__name__)

    async def stop(self) -> None:
        await self.client.close()

    # -- keyed hashes ---------------------------------------------------------------------------

    def _hash(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def ref_of(self, wamid: str) -> str:
        """What we store of a message id: a keyed hash (replies and statuses use the same)."""
        return "h" + self._hash("wamid", wamid)[:31]

    def _id_hashes(self, wa_id: str, bsuid: str) -> list[str]:
        return [h for h in (self._hash("wa", wa_id) if wa_id else "",
                            self._hash("bsuid", bsuid) if bsuid else "") if h]

    def _address_hash(self, address: str) -> str:
        return self._hash("wa" if address.isdigit() else "bsuid", address)

    # -- the webhook ------------------------------------------------------------------------------

    def add_routes(self, app: web.Application, submit: Submit, reports: ReportSink,
                   path: str = WEBHOOK_PATH) -> None:
        async def receive(request: web.Request) -> web.Response:
            return await self.receive(request, submit, reports)

        app.router.add_get(path, self.verify)
        app.router.add_post(path, receive)

    def webhook_app(self, submit: Submit, reports: ReportSink,
                    path: str = WEBHOOK_PATH) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        self.add_routes(app, submit, reports, path)
        return app

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's subscription check: echo the challenge when the verify token matches."""
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode(), self.settings.verify_token.encode()):
            return web.Response(text=query.get("hub.challenge", ""))
        log.warning("webhook verification refused (wrong verify token or mode)")
        return web.Response(status=403)

    def signed(self, raw: bytes, header: str) -> bool:
        expected = "sha256=" + hmac.new(self.settings.app_secret.encode(), raw,
                                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.strip().encode(), expected.encode())

    async def receive(self, request: web.Request, submit: Submit,
                      reports: ReportSink) -> web.Response:
        raw = await request.read()  # bounded: the app's client_max_size answers 413 beyond
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not self.signed(raw, header):  # before parsing anything
            reason = "missing" if not header else "wrong"
            log.warning("webhook refused: %s signature (%d bytes)", reason, len(raw))
            await self._note("whatsapp_bad_signature", {"reason": reason})
            return web.Response(status=401)
        try:
            body = jsonbody.parse(raw, max_body=MAX_BODY)
        except jsonbody.BadBody:
            return web.Response(status=400)
        if not isinstance(body, dict):
            return web.Response(status=400)
        return await self.deliver(body, submit, reports)

    async def deliver(self, body: dict, submit: Submit, reports: ReportSink) -> web.Response:
        """A signed, parsed webhook body: its messages committed, then its statuses (the
        district's router, bot/schools/whatsapp_router.py, hands each school its part)."""
        batch = self.read(body)
        if batch.groups:
            log.info("ignored %d group message(s)", batch.groups)
        for number in sorted(set(batch.unknown_numbers)):
            log.warning("webhook for an unknown phone_number_id %s ignored", number[:24])
            await self._note("whatsapp_unknown_number", {"phone_number_id": number[:24]})
        try:
            events = await self.events(batch.messages)
            if events:
                await self._submit(submit, events)  # committed: only now may Meta hear 200
        except Exception:
            log.exception("could not persist a WhatsApp delivery; Meta will deliver it again")
            return web.Response(status=500)
        if batch.statuses:
            try:
                await reports(self.name, batch.statuses)
            except Exception:  # the messages are safe: a 500 repeats them, and they are deduped
                log.exception("could not record WhatsApp statuses; Meta will deliver them again")
                return web.Response(status=500)
        return web.Response(status=200)

    async def _submit(self, submit: Submit, events: list[InboundEvent]) -> None:
        """Commit to the inbox; messages of webhook calls arriving while a commit runs go
        together in the next one (group commit: Meta calls once per message, at once)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inbound.append((submit, events, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.get_running_loop().create_task(self._commit())
        await future

    async def _commit(self) -> None:
        while self._inbound:
            batch, self._inbound = self._inbound, []
            for submit in dict.fromkeys(item[0] for item in batch):  # (one, but for tests)
                part = [item for item in batch if item[0] is submit]
                try:
                    await submit([event for _, events, _ in part for event in events])
                except Exception as exc:
                    for *_, future in part:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for *_, future in part:
                    if not future.done():
                        future.set_result(None)

    async def _note(self, action: str, detail: dict) -> None:
        """An audit row about the webhook, at most one a minute per action and detail."""
        key = f"{action}:{sorted(detail.items())}"
        now = time.monotonic()
        if self.store is None or now - self._noted.get(key, -1e9) < 60:
            return
        self._noted[key] = now
        with contextlib.suppress(Exception):  # an audit row must never break the webhook
            async with self.store.transaction(lane=LANE_FLOW) as db:
                await audit.record(db, None, action, detail, self.clock.now())

    def read(self, body: dict) -> Batch:
        """Messages (with their contact), statuses and foreign numbers of one delivery."""
        batch = Batch()
        if body.get("object") != "whatsapp_business_account":
            return batch
        for entry in _dicts(body.get("entry")):
            for change in _dicts(entry.get("changes")):
                value = change.get("value")
                if change.get("field") != "messages" or not isinstance(value, dict):
                    continue  # template reviews, account updates ...: not conversations
                number = str((value.get("metadata") or {}).get("phone_number_id") or "")
                if number != self.settings.phone_number_id:
                    batch.unknown_numbers.append(number or "(none)")
                    continue
                contacts = _dicts(value.get("contacts"))
                for message in _dicts(value.get("messages")):
                    if message.get("group_id"):
                        batch.groups += 1  # groups are not for private talk: ignored
                        continue
                    batch.messages.append((message, _contact_of(message, contacts)))
                for status in _dicts(value.get("statuses")):
                    report = self._report(status)
                    if report is not None:
                        batch.statuses.append(report)
        return batch

    def _report(self, status: dict) -> DeliveryReport | None:
        wamid, state = status.get("id"), status.get("status")
        if not isinstance(wamid, str) or state not in ("sent", "delivered", "read", "failed"):
            return None  # "deleted", "warning" ...: nothing to record
        if state != "failed":
            return DeliveryReport(self.ref_of(wamid), state)
        errors = _dicts(status.get("errors"))
        code = _int(errors[0].get("code")) if errors else 0
        if code == WINDOW_CLOSED:
            outcome = "window"
        elif code in RETRYABLE or code in THROTTLED or code == PAIR_RATE:
            outcome = "retry"
        else:
            outcome = "permanent"
            if _operator(code):
                self._operator_problem(code)
        return DeliveryReport(self.ref_of(wamid), "failed", outcome, str(code))

    async def events(self, messages: list[tuple[dict, dict]]) -> list[InboundEvent]:
        """InboundEvents for the messages of one delivery (identities resolved, numbered
        replies turned into presses)."""
        people = []
        for message, contact in messages:
            wa_id = str(message.get("from") or contact.get("wa_id") or "")
            bsuid = str(message.get("from_user_id") or contact.get("user_id") or "")
            if wa_id or bsuid:
                people.append((message, wa_id, bsuid))
        if not people:
            return []
        canonical = await self._resolve([(wa, bs) for _, wa, bs in people])
        out = []
        for message, wa_id, bsuid in people:
            system = message.get("system") if message.get("type") == "system" else None
            if isinstance(system, dict):  # the person changed number: the new one is them too
                new = str(system.get("wa_id") or system.get("new_wa_id") or "")
                if new:
                    await self._link([self._hash("wa", new)], canonical[(wa_id, bsuid)])
                continue
            event = await self._event(message, canonical[(wa_id, bsuid)], wa_id or bsuid,
                                      self._id_hashes(wa_id, bsuid))
            if event is not None:
                out.append(event)
        return out

    async def _resolve(self, people: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """One canonical id per person: the one already linked to either identifier, else the
        first hash; both identifiers are linked to it (a person keeps one key)."""
        wanted = {h for wa, bs in people for h in self._id_hashes(wa, bs)}
        missing = [h for h in wanted if h not in self._identities]
        if missing and self.store is not None:
            async with self.store.read(lane=LANE_FLOW) as db:
                self._identities.update(await wa_store.canonical_of(db, missing))
        out: dict[tuple[str, str], str] = {}
        links: dict[str, str] = {}
        for wa, bs in people:
            hashes_ = self._id_hashes(wa, bs)
            known = [self._identities.get(h) or links.get(h) for h in hashes_]
            chosen = next((k for k in known if k), "w" + hashes_[0])
            out[(wa, bs)] = chosen
            links.update({h: chosen for h in hashes_
                          if h not in self._identities and h not in links})
        await self._store_links(links)
        return out

    async def _link(self, hashes_: list[str], canonical: str) -> None:
        await self._store_links({h: canonical for h in hashes_ if h not in self._identities})

    async def _store_links(self, links: dict[str, str]) -> None:
        """Links are written before they are cached: a link the store did not keep is made
        again from the next delivery (the same first hash), never lost from the cache only."""
        if links and self.store is not None:
            async with self.store.transaction(lane=LANE_FLOW) as db:
                await wa_store.link(db, list(links.items()), self.clock.now())
        if len(self._identities) > 100_000:  # a cache: the table is the truth
            self._identities.clear()
        self._identities.update(links)

    async def _event(self, message: dict, user_id: str, address: str,
                     id_hashes: list[str]) -> InboundEvent | None:
        wamid = message.get("id")
        if not isinstance(wamid, str) or not wamid:
            return None
        kind_name = str(message.get("type") or "")
        meta: dict[str, Any] = {"at": _timestamp(message.get("timestamp"))}
        context = message.get("context")
        if isinstance(context, dict) and isinstance(context.get("id"), str):
            meta["reply_to"] = self.ref_of(context["id"])  # staff answer a case by replying
        kind, text, data = Kind.UNSUPPORTED, "", ""
        if kind_name in ("text", "edit"):
            text = _text_of(message)
            if text is None:
                return None
            kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
            press = await self._numbered_press(text, id_hashes)
            if press is not None:
                kind, text, data = Kind.BUTTON, press.label, press.data
        elif kind_name == "interactive":
            reply = message.get("interactive") or {}
            chosen = reply.get("button_reply") or reply.get("list_reply")
            if isinstance(chosen, dict):
                kind, data = Kind.BUTTON, str(chosen.get("id") or "")
                text = str(chosen.get("title") or "")
            else:
                meta["media"] = "interactive"
        elif kind_name == "button":  # a template's quick reply
            button = message.get("button") or {}
            kind, data, text = Kind.BUTTON, str(button.get("payload") or ""), str(
                button.get("text") or "")
        elif kind_name in ("revoke", "deleted"):
            return None
        else:  # image, video, document, audio, sticker, location, contacts, reaction ...
            meta["media"] = kind_name or "other"
            media = message.get(kind_name)
            if isinstance(media, dict) and isinstance(media.get("caption"), str):
                text = media["caption"]  # only a caption is read (and screened)
        return InboundEvent(self.name, "m" + self._hash("wamid", wamid)[:31], user_id, address,
                            kind, text=text, data=data, meta=meta)

    async def _numbered_press(self, text: str, id_hashes: list[str]) -> Button | None:
        """A reply "7" to a numbered menu (more than 10 options) presses its 7th option."""
        stripped = text.strip().rstrip(".")
        if not (stripped.isascii() and stripped.isdigit() and len(stripped) <= 2):
            return None
        if self.store is None:
            return None
        async with self.store.read(lane=LANE_FLOW) as db:
            options = await wa_store.menu(db, id_hashes, self.clock.now() - MENU_LIFETIME)
        number = int(stripped)
        if 1 <= number <= len(options):
            label, data = options[number - 1]
            return Button(label, data)
        return None

    # -- sending ----------------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.edit_ref:  # WhatsApp cannot take buttons off a sent message: stale presses
            return SendResult.ok()  # are refused by the core instead
        if not message.window_open:
            return await self._outside_window(message)
        try:
            return await self._free_form(message)
        except GraphError as exc:
            if exc.code == WINDOW_CLOSED:  # our record said open; Meta knows better
                result = await self._outside_window(message)
                return dataclasses.replace(result, window_closed=True)
            return self._classify(exc, message)
        except GraphUnreachable as exc:  # it may have gone anyway: at-least-once
            return SendResult(SendStatus.TRANSIENT, detail=str(exc))

    async def _free_form(self, message: OutboundMessage) -> SendResult:
        to, text, buttons = message.address, message.text, message.buttons
        wamid = ""
        if message.image is not None:
            media = await self.client.upload_png(message.image, message.urgent)
            caption = text[:1024]
            payload = {**_base(to), "type": "image", "image": {"id": media}}
            if caption:
                payload["image"]["caption"] = caption
            wamid = await self._post(payload, message.urgent)
            text = text[1024:]
            if not text.strip():
                return SendResult(SendStatus.OK, ref=self.ref_of(wamid))
        shape = shape_of([b.label for b in buttons])
        if shape.kind == "numbered":
            text = numbered(text, buttons)
        parts = split_text(text, TEXT_LIMIT)
        if shape.kind in ("buttons", "list") and len(parts[-1]) > INTERACTIVE_BODY:
            parts = parts[:-1] + split_text(parts[-1], INTERACTIVE_BODY)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last and shape.kind == "buttons":
                payload = buttons_payload(to, part, buttons)
            elif last and shape.kind == "list":
                payload = list_payload(to, part, buttons)
            else:
                payload = text_payload(to, part or "…")
            wamid = await self._post(payload, message.urgent)
        await self._remember_menu(to, buttons if shape.kind == "numbered" else None,
                                  bool(buttons))
        return SendResult(SendStatus.OK, ref=self.ref_of(wamid))

    async def _remember_menu(self, to: str, options: tuple[Button, ...] | None,
                             has_buttons: bool) -> None:
        """Keep a numbered menu; a later message with buttons replaces (clears) it."""
        if self.store is None or not has_buttons:
            return
        key = self._address_hash(to)
        if options is None and key not in self._menus:
            return
        async with self.store.transaction(lane=LANE_FLOW) as db:
            await wa_store.save_menu(db, key, [(b.label, b.data) for b in options]
                                     if options else None, self.clock.now())
        (self._menus.add if options else self._menus.discard)(key)

    async def _outside_window(self, message: OutboundMessage) -> SendResult:
        """The person has not written for 24 hours: only templates may go.

        An alert with one button goes as the ``alert`` template, its quick reply carrying the
        button (take the case from it); a reminder or queue update as its template with the
        text. Other staff messages are announced with the ``notice`` template (once per case
        in a while) and wait, like everything else, until the person writes (``held``). An
        alert that no template can carry is undeliverable at once (the ladder climbs)."""
        purpose, buttons = message.purpose, message.buttons
        alert = self.templates.get("alert")
        try:
            if purpose == "alert" and alert is not None and len(buttons) == 1:
                wamid = await self._template(message, alert, buttons[0].data)
                return SendResult(SendStatus.OK, ref=self.ref_of(wamid))
            own = self.templates.get(purpose) if purpose in ("reminder", "queue") else None
            if own is not None and "text" in own.parameters:
                wamid = await self._template(message, own)
                return SendResult(SendStatus.OK, ref=self.ref_of(wamid))
            notice = self.templates.get("notice") or own
            if purpose in ("alert", "notice", "reminder", "queue") and notice is not None:
                ref = ""
                if self._knock_due(message):
                    ref = self.ref_of(await self._template(message, notice))
                return SendResult(SendStatus.HELD, detail="window closed", ref=ref)
        except GraphError as exc:
            result = self._classify(exc, message)
            if result.status in (SendStatus.RETRY_AFTER, SendStatus.TRANSIENT):
                return result
            log.error("WhatsApp refused a template (code %s); check the templates in "
                      "config.yaml against WhatsApp Manager", exc.code)
            if purpose != "alert":
                return SendResult(SendStatus.HELD, detail=f"template refused {exc.code}")
            return SendResult(SendStatus.PERMANENT, detail=f"template refused {exc.code}")
        except GraphUnreachable as exc:
            return SendResult(SendStatus.TRANSIENT, detail=str(exc))
        if purpose == "alert":
            return SendResult(SendStatus.PERMANENT, detail="window closed: no alert template")
        return SendResult(SendStatus.HELD, detail="window closed")

    def _knock_due(self, message: OutboundMessage) -> bool:
        """Announce waiting messages once per person and case every 10 minutes (a crisis
        alert always): each template costs the school money."""
        key = (self._address_hash(message.address), message.case_code)
        now = time.monotonic()
        if not message.urgent and now - self._knocked.get(key, -1e9) < 600:
            return False
        self._knocked[key] = now
        return True

    async def _template(self, message: OutboundMessage, template: WhatsAppTemplate,
                        payload: str = "") -> str:
        values = {"headline": one_line(message.text.strip().split("\n")[0], 200),
                  "code": message.case_code or "-",
                  "text": one_line(message.text, TEMPLATE_TEXT),
                  "school": one_line(self.school, 100)}
        components: list[dict[str, Any]] = []
        if template.parameters:
            components.append({"type": "body", "parameters": [
                {"type": "text", "text": values[name]} for name in template.parameters]})
        if template.button and payload:
            components.append({"type": "button", "sub_type": "quick_reply", "index": "0",
                               "parameters": [{"type": "payload", "payload": payload}]})
        body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
        if components:
            body["components"] = components
        return await self._post({**_base(message.address), "type": "template",
                                 "template": body}, message.urgent)

    async def _post(self, payload: dict[str, Any], urgent: bool) -> str:
        await self._pace(urgent)
        return await self.client.send(payload, urgent)

    async def _pace(self, urgent: bool) -> None:
        """An even pace overall (Cloud API throughput); a crisis alert does not wait."""
        if not self.send_interval:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_send + self.send_interval - loop.time()
        if wait > 0 and not urgent:
            await asyncio.sleep(wait)
        self._last_send = loop.time()

    def _classify(self, exc: GraphError, message: OutboundMessage) -> SendResult:
        """What Meta's answer means for the outbox."""
        code, detail = exc.code, _scrub(f"{exc.code} {exc.message}".strip())[:120]
        if code == PAIR_RATE:  # this one person: others are not held up
            return SendResult(SendStatus.RETRY_AFTER, self.pair_rate_pause, "pair rate",
                              recipient_only=True)
        if exc.http_status == 429 or code in THROTTLED:
            return SendResult(SendStatus.RETRY_AFTER, 1.0 if code == 130429 else 10.0,
                              f"throttled {code}")
        if code in RETRYABLE or exc.http_status >= 500:
            return SendResult(SendStatus.TRANSIENT, detail=detail)
        if code in RECIPIENT:
            return SendResult(SendStatus.PERMANENT, detail=detail)
        if _operator(code):
            self._operator_problem(code)
            # a crisis alert must not wait for the operator: the ladder goes on elsewhere
            status = SendStatus.PERMANENT if message.urgent else SendStatus.TRANSIENT
            return SendResult(status, detail=f"operator {code}")
        return SendResult(SendStatus.PERMANENT, detail=f"bad request {detail}")

    def _operator_problem(self, code: int) -> None:
        """Loud in the log, and an audit row `sebaya doctor` shows."""
        hint = OPERATOR_HINTS.get(code) or ("a template problem: check the names, languages "
                                           "and parameters in config.yaml against WhatsApp "
                                           "Manager" if 132000 <= code < 133000 else
                                           "see WhatsApp Manager and the Meta app dashboard")
        log.error("WHATSAPP NEEDS THE OPERATOR: error %s: %s", code, hint)
        with contextlib.suppress(RuntimeError):  # no loop: nothing to write it with
            task = asyncio.get_running_loop().create_task(
                self._note("whatsapp_operator_error", {"code": code}))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def _scrub(text: str) -> str:
    """Meta's error texts go to logs and last_error: never with a phone number in them."""
    return re.sub(r"\+?\d[\d\s-]{6,}\d", "[number]", text)


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _contact_of(message: dict, contacts: list[dict]) -> dict:
    for contact in contacts:
        if (message.get("from") and contact.get("wa_id") == message.get("from")) or (
                message.get("from_user_id")
                and contact.get("user_id") == message.get("from_user_id")):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _timestamp(value: Any) -> float | str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return ""
    return seconds / 1000 if seconds > 1e12 else seconds  # sometimes milliseconds


def _text_of(message: dict) -> str | None:
    """The text of a text message, or of an edited one (screened like new text)."""
    for holder in (message, message.get("edit") if isinstance(message.get("edit"), dict) else {},
                   ((message.get("edit") or {}).get("message")
                    if isinstance(message.get("edit"), dict) else {}) or {}):
        text = holder.get("text") if isinstance(holder, dict) else None
        if isinstance(text, dict) and isinstance(text.get("body"), str):
            return text["body"]
    return None

