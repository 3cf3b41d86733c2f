"""``sebaya run`` for a district: every enabled school in one process, one App each.

Each school has its own App (its store view, vault, core, flows, texts, dispatcher, outbox
and timers), so nothing of one school is in another's memory either. On PostgreSQL the
views share this process's pools (``bot/store/pg/shared.py``: a share cap per school, a
crisis connection for every school), so a surge at one school neither starves another nor
delays anyone's crisis work; on SQLite each school is its own file with its own writer.
Telegram: a poller per school token (a singleton per school, so with ``--workers N`` one
worker polls each bot), or, with TELEGRAM_WEBHOOK_URL as the public base, one server with a
path and a secret per school. A school whose token is missing or refused is logged and left
out; the others run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web
from telegram.error import TelegramError

from bot.app import App
from bot.channels import jsonbody
from bot.channels.telegram import ALLOWED_UPDATES, TelegramChannel
from bot.channels.webhook import add_routes as add_telegram_routes
from bot.config import Config, load_secret
from bot.redact import Redactor
from bot.schools import channels
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
    telegram: TelegramChannel
    secret: bytes
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def school(self) -> str:
        return self.config.school_id or "default"


def base_url(config: Config, env: Mapping[str, str]) -> str | None:
    """The Bot API server for this school (TELEGRAM_API_BASE_URL_<ID>, else the shared one)."""
    own = env.get(f"{BASE_URL_ENV}_{channels.env_suffix(config.school_id or 'default')}", "")
    return own.strip() or env.get(BASE_URL_ENV, "").strip() or None


async def build(config: Config, env: Mapping[str, str]) -> Served | None:
    """The school's App with its own Telegram bot, or None when its token is not set."""
    token = channels.token(config, dict(env))
    if not token:
        log.warning("school %s: %s not set: not served (sebaya school onboard %s)",
                    config.school_id, channels.token_env(config.school_id, config),
                    config.school_id)
        return None
    rate = float(env.get(SEND_RATE_ENV) or 30)
    telegram = TelegramChannel(token, base_url(config, env),
                               send_interval=1 / rate if rate > 0 else 0)
    secret = load_secret(config)
    app = await App.build(config, {telegram.name: telegram}, secret=secret)
    return Served(config, app, telegram, secret)


async def _start(served: Served) -> bool:
    try:
        await served.telegram.start()
    except TelegramError as exc:
        log.error(Redactor([served.telegram.bot.token]).text(
            f"school {served.school}: cannot reach the Telegram Bot API "
            f"({type(exc).__name__}: {exc}); it is not served"))
        with contextlib.suppress(Exception):
            await served.telegram.stop()
        await served.app.store.close()
        return False
    await served.app.start()
    for address, role in await served.app.staff_addresses(served.telegram.name):
        await served.telegram.set_staff_commands(address, role)
    return True


async def _webhooks(schools: Sequence[Served], base: str, env: Mapping[str, str]
                    ) -> web.AppRunner:
    """One server for every school's Telegram webhook: a path and a secret each."""
    host = env.get("SEBAYA_WEBHOOK_HOST", "127.0.0.1")
    port = int(env.get("SEBAYA_WEBHOOK_PORT", "8080"))
    server = web.Application(client_max_size=jsonbody.MAX_BODY)
    for s in schools:
        add_telegram_routes(server, s.telegram, s.app.dispatcher.accept,
                            channels.webhook_secret(s.config, s.secret, dict(env)),
                            channels.webhook_path(s.config))
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    several = any(s.app.store.several_workers for s in schools)
    await web.TCPSite(runner, host, port, reuse_port=several or None).start()
    for s in schools:
        await s.telegram.bot.set_webhook(
            channels.webhook_url(base, s.config), allowed_updates=ALLOWED_UPDATES,
            secret_token=channels.webhook_secret(s.config, s.secret, dict(env)))
        log.info("school %s: Telegram webhook on %s:%s%s", s.school, host, port,
                 channels.webhook_path(s.config))
    return runner


async def serve(configs: Sequence[Config], env: Mapping[str, str],
                stopping: asyncio.Event) -> int:
    """Serve every school until ``stopping``; 2 when no school could be served."""
    built = [s for s in [await build(c, env) for c in configs] if s is not None]
    schools = [s for s in built if await _start(s)]
    if not schools:
        log.error("no school could be served: set each school's TELEGRAM_BOT_TOKEN_<ID> "
                  "(sebaya school onboard ID)")
        return 2
    base = env.get(WEBHOOK_BASE_ENV, "").strip()
    runner = await _webhooks(schools, base, env) if base else None
    if runner is None:
        for s in schools:
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
        await s.telegram.stop()
    return 0
