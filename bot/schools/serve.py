"""``sebaya run`` for a district: every enabled school in one process, one App each.

Each school has its own App (its store view, vault, core, flows, texts, dispatcher, outbox
and timers), so nothing of one school is in another's memory either. On PostgreSQL the
views share this process's pools (``bot/store/pg/shared.py``: a share cap per school, a
crisis connection for every school), so a surge at one school neither starves another nor
delays anyone's crisis work; on SQLite each school is its own file with its own writer.
Telegram: a poller per school token (a singleton per school, so with ``--workers N`` one
worker polls each bot), or, with TELEGRAM_WEBHOOK_URL as the public base, one server with a
path and a secret per school. WhatsApp: the district's one app (WHATSAPP_ACCESS_TOKEN,
WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN; a school may have its own access token in
WHATSAPP_ACCESS_TOKEN_<ID>), each school's number from its file, one webhook routed by number
(``bot/schools/whatsapp_router.py``). A school with no channel, or whose token is refused,
is logged and left out; the others run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web
from telegram.error import TelegramError

from bot.app import App, FlowBundle, load_flow_bundle
from bot.channels import jsonbody
from bot.channels.base import Channel
from bot.channels.telegram import ALLOWED_UPDATES, TelegramChannel
from bot.channels.webhook import add_routes as add_telegram_routes
from bot.channels.whatsapp import MAX_BODY as WA_MAX_BODY
from bot.channels.whatsapp import WEBHOOK_PATH as WA_WEBHOOK_PATH
from bot.channels.whatsapp import WhatsAppChannel, WhatsAppSettings
from bot.config import Config, load_secret
from bot.redact import Redactor
from bot.risk.detector import Detector
from bot.schools import channels
from bot.schools.whatsapp_router import Route, WhatsAppRouter
from bot.store.singleton import Singleton

log = logging.getLogger("sebaya.schools")
BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
SEND_RATE_ENV = "TELEGRAM_SEND_RATE"
WEBHOOK_BASE_ENV = "TELEGRAM_WEBHOOK_URL"


@dataclass
class Served:
    """One school running in this process."""

    config: Config
    app: App
    telegram: TelegramChannel | None
    whatsapp: WhatsAppChannel | None
    secret: bytes
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def channels(self) -> list[Channel]:
        return [c for c in (self.telegram, self.whatsapp) if c is not None]

    @property
    def school(self) -> str:
        return self.config.school_id or "default"


def base_url(config: Config, env: Mapping[str, str]) -> str | None:
    """The Bot API server for this school (TELEGRAM_API_BASE_URL_<ID>, else the shared one)."""
    own = env.get(f"{BASE_URL_ENV}_{channels.env_suffix(config.school_id or 'default')}", "")
    return own.strip() or env.get(BASE_URL_ENV, "").strip() or None


class Shared:
    """What schools with the same flows share in one process: the flow bundle (parsed once
    per flows folder, languages and hotlines) and the risk detector (its model loaded once)."""

    def __init__(self) -> None:
        self._bundles: dict[tuple, FlowBundle] = {}
        self._detector: Detector | None = None

    def bundle(self, config: Config) -> FlowBundle:
        key = (str(config.flows_dir.resolve()), tuple(config.languages.available),
               config.languages.default, config.flows.start,
               tuple(h.contact for h in config.hotlines.items))
        if key not in self._bundles:
            self._bundles[key] = load_flow_bundle(config)
        return self._bundles[key]

    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = Detector.default()
        return self._detector


def whatsapp_settings(config: Config, env: Mapping[str, str]) -> WhatsAppSettings | None:
    """The school's number under the district's app, or None (no number, or no app)."""
    number = config.channels.whatsapp.phone_number_id
    own = f"WHATSAPP_ACCESS_TOKEN_{channels.env_suffix(config.school_id or 'default')}"
    token = env.get(own, "").strip() or env.get("WHATSAPP_ACCESS_TOKEN", "").strip()
    secret = env.get("WHATSAPP_APP_SECRET", "").strip()
    verify = env.get("WHATSAPP_VERIFY_TOKEN", "").strip()
    if not (number and token and secret and verify):
        return None
    return WhatsAppSettings(token, number, secret, verify,
                            env.get("WHATSAPP_API_BASE_URL", "").strip() or None)


async def build(config: Config, env: Mapping[str, str], shared: Shared | None = None
                ) -> Served | None:
    """The school's App with its own Telegram bot and/or WhatsApp number, or None when it
    has neither."""
    token = channels.token(config, dict(env))
    settings = whatsapp_settings(config, env)
    if not token and settings is None:
        log.warning("school %s: %s not set and no WhatsApp number: not served (sebaya school "
                    "onboard %s)", config.school_id,
                    channels.token_env(config.school_id, config), config.school_id)
        return None
    secret = load_secret(config)
    found: dict[str, Channel] = {}
    telegram = whatsapp = None
    if token:
        rate = float(env.get(SEND_RATE_ENV) or 30)
        telegram = TelegramChannel(token, base_url(config, env),
                                   send_interval=1 / rate if rate > 0 else 0)
        found[telegram.name] = telegram
    if settings is not None:
        rate = float(env.get("WHATSAPP_SEND_RATE") or 50)
        whatsapp = WhatsAppChannel(settings, secret, config.whatsapp, config.school.name,
                                   send_interval=1 / rate if rate > 0 else 0)
        found[whatsapp.name] = whatsapp
    shared = shared or Shared()
    app = await App.build(config, found, secret=secret, bundle=shared.bundle(config),
                          detector=shared.detector())
    if whatsapp is not None:
        whatsapp.bind(app.store, app.vault)
    return Served(config, app, telegram, whatsapp, secret)


async def _start(served: Served) -> bool:
    try:
        if served.whatsapp is not None:
            await served.whatsapp.start()
        if served.telegram is not None:
            await served.telegram.start()
    except TelegramError as exc:
        log.error(Redactor([served.telegram.bot.token]).text(  # type: ignore[union-attr]
            f"school {served.school}: cannot reach the Telegram Bot API "
            f"({type(exc).__name__}: {exc}); it is not served"))
        for channel in served.channels:
            with contextlib.suppress(Exception):
                await channel.stop()  # type: ignore[attr-defined]
        await served.app.store.close()
        return False
    await served.app.start()
    if served.telegram is not None:
        for address, role in await served.app.staff_addresses(served.telegram.name):
            await served.telegram.set_staff_commands(address, role)
    return True


def router(schools: Sequence[Served]) -> WhatsAppRouter | None:
    """The app webhook's routes: each school's number to its channel, dispatcher, sender."""
    routes = {s.whatsapp.settings.phone_number_id: Route(
        s.whatsapp, s.app.dispatcher.accept_many, s.app.sender.delivery_reports)
        for s in schools if s.whatsapp is not None}
    return WhatsAppRouter(routes) if routes else None


async def _webhooks(schools: Sequence[Served], base: str, env: Mapping[str, str]
                    ) -> web.AppRunner:
    """One server for every school's Telegram webhook (a path and a secret each, when
    ``base`` is set) and the WhatsApp app webhook (routed by number)."""
    host = env.get("SEBAYA_WEBHOOK_HOST", "127.0.0.1")
    port = int(env.get("SEBAYA_WEBHOOK_PORT", "8080"))
    wa = router(schools)
    server = web.Application(client_max_size=WA_MAX_BODY if wa else jsonbody.MAX_BODY)
    telegrams = [s for s in schools if s.telegram is not None] if base else []
    for s in telegrams:
        add_telegram_routes(server, s.telegram, s.app.dispatcher.accept,
                            channels.webhook_secret(s.config, s.secret, dict(env)),
                            channels.webhook_path(s.config))
    if wa is not None:
        wa.add_routes(server)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    several = any(s.app.store.several_workers for s in schools)
    await web.TCPSite(runner, host, port, reuse_port=several or None).start()
    if wa is not None:
        log.info("WhatsApp: app webhook on %s:%s%s for %d school(s)", host, port,
                 WA_WEBHOOK_PATH, len(wa.routes))
    for s in telegrams:
        await s.telegram.bot.set_webhook(
            channels.webhook_url(base, s.config), allowed_updates=ALLOWED_UPDATES,
            secret_token=channels.webhook_secret(s.config, s.secret, dict(env)))
        log.info("school %s: Telegram webhook on %s:%s%s", s.school, host, port,
                 channels.webhook_path(s.config))
    return runner


async def serve(configs: Sequence[Config], env: Mapping[str, str],
                stopping: asyncio.Event, shared: Shared | None = None) -> int:
    """Serve every school until ``stopping``; 2 when no school could be served."""
    shared = shared or Shared()
    built = [s for s in [await build(c, env, shared) for c in configs] if s is not None]
    schools = [s for s in built if await _start(s)]
    if not schools:
        log.error("no school could be served: set each school's TELEGRAM_BOT_TOKEN_<ID> "
                  "(sebaya school onboard ID)")
        return 2
    base = env.get(WEBHOOK_BASE_ENV, "").strip()
    wa = any(s.whatsapp is not None for s in schools)
    runner = await _webhooks(schools, base, env) if base or wa else None
    if not base:
        for s in (s for s in schools if s.telegram is not None):
            s.tasks.append(asyncio.create_task(Singleton(s.app.store, "telegram-polling").run(
                lambda stop, s=s: s.telegram.poll(s.app.dispatcher.accept_many, stop),
                stopping)))
    log.info("serving %d school(s): %s; Ctrl-C stops", len(schools),
             ", ".join(s.school for s in schools))
    await stopping.wait()
    for s in schools:
        for task in s.tasks:
            task.cancel()
        await asyncio.gather(*s.tasks, return_exceptions=True)
    if runner is not None:
        await runner.cleanup()
    for s in schools:
        await s.app.stop()
        for channel in s.channels:
            await channel.stop()  # type: ignore[attr-defined]
    return 0
