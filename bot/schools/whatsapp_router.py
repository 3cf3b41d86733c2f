"""One WhatsApp app webhook for every school: each change goes to the school whose number
(Meta's ``phone_number_id``) it was sent to.

Meta calls one webhook per app; a district's schools are numbers of one app (one app secret,
one verify token). The router checks the signature once, before it parses anything, splits
the body by ``metadata.phone_number_id`` and hands each school's channel only its own part,
so no school's channel ever sees another school's messages or statuses. A change for a
number no school has is acknowledged and logged (a non-200 would make Meta repeat it for
days). The answer is 200 only when every school committed its part (a 500 makes Meta repeat
the whole body; the inbox deduplicates what was already committed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.channels import jsonbody
from bot.channels.whatsapp import MAX_BODY, SIGNATURE_HEADER, WEBHOOK_PATH, WhatsAppChannel

log = logging.getLogger("sebaya.schools.whatsapp")


@dataclass(frozen=True)
class Route:
    """One school's number: its channel and where its events and statuses go."""

    channel: WhatsAppChannel
    submit: object  # Dispatcher.accept_many
    reports: object  # OutboxSender.delivery_reports


def split(body: dict) -> dict[str, dict]:
    """The body as one body per phone number id (each with its own entries and changes)."""
    parts: dict[str, dict] = {}
    entries = body.get("entry") if isinstance(body.get("entry"), list) else []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        changes = entry.get("changes") if isinstance(entry.get("changes"), list) else []
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            metadata = value.get("metadata") if isinstance(value, dict) else None
            number = str((metadata or {}).get("phone_number_id") or "") \
                if isinstance(metadata, dict) else ""
            part = parts.setdefault(number, {"object": body.get("object"), "entry": []})
            part["entry"].append({"id": entry.get("id"), "changes": [change]})
    return parts


class WhatsAppRouter:
    """The app webhook of a district: ``routes`` maps a phone number id to its school."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        if not routes:
            raise ValueError("a WhatsApp router needs at least one school's number")
        self.routes = dict(routes)
        self._any = next(iter(self.routes.values())).channel  # one app: one secret, one token

    def add_routes(self, app: web.Application, path: str = WEBHOOK_PATH) -> None:
        app.router.add_get(path, self._any.verify)
        app.router.add_post(path, self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not self._any.signed(raw, request.headers.get(SIGNATURE_HEADER, "")):
            log.warning("webhook refused: bad or missing signature (%d bytes)", len(raw))
            return web.Response(status=401)
        try:
            body = jsonbody.parse(raw, max_body=MAX_BODY)
        except jsonbody.BadBody:
            return web.Response(status=400)
        if not isinstance(body, dict):
            return web.Response(status=400)
        status = 200
        for number, part in split(body).items():
            route = self.routes.get(number)
            if route is None:
                log.warning("webhook for a number no school has (%s) ignored", number[:24])
                continue
            answer = await route.channel.deliver(part, route.submit, route.reports)
            status = max(status, answer.status)
        return web.Response(status=status)
