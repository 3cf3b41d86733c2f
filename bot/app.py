"""Composition root: builds store, identity vault, flows, core, dispatcher and loops from Config.

Nothing registers itself on import; every dependency is passed in here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock, sleep_until
from bot.config import Config, load_secret
from bot.core import public_chat
from bot.core.angket import TEXTS as ANGKET_TEXTS
from bot.core.angket import Angket, load_angkets
from bot.core.coaching import Coaching, coaching_texts, load_coaching
from bot.core.core import REQUIRED_TEXTS, RETENTION_TIMER, Core, Interrupt
from bot.core.feature import Feature
from bot.core.features import FEATURES
from bot.core.identity import IdentityVault
from bot.core.keys import SYSTEM
from bot.core.policy import Policy
from bot.core.practice import TEXTS as PRACTICE_TEXTS
from bot.core.practice import Practice, load_practice
from bot.core.shifts import TEXTS as SHIFT_TEXTS
from bot.core.training import TEXTS as TRAINING_TEXTS
from bot.core.training import Training, load_training
from bot.core.wellbeing import TEXTS as WELLBEING_TEXTS
from bot.engine.catalog import Catalog, load_catalogs
from bot.engine.loader import load_flows
from bot.engine.machine import FlowMachine
from bot.engine.placeholders import check_placeholders
from bot.engine.schema import Flow
from bot.errors import ConfigError, FlowError
from bot.risk.detector import Detector
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.outbox import OutboxSender
from bot.runtime.timers import TimerLoop
from bot.runtime.urgency import Urgency
from bot.store import audit, running, timers, users
from bot.store import roster as roster_store
from bot.store.db import Store
from bot.store.port import open_store
from bot.yamlsrc import line_at, read_yaml

log = logging.getLogger("sebaya")


@dataclass(frozen=True)
class FlowBundle:
    catalog: Catalog
    flows: dict[str, Flow]
    coaching: Coaching | None = None  # flows/coaching/rules.yaml (None: not shipped there)
    training: Training | None = None  # flows/training/modules.yaml
    angkets: dict[str, Angket] = field(default_factory=dict)  # flows/angket/*.yaml
    practice: Practice | None = None  # flows/training/practice.yaml


def _require_texts(config: Config, catalog: Catalog, keys: Iterable[str], by: str) -> None:
    """Every key in every language the school offers, or a FlowError naming the catalog."""
    for lang in config.languages.available:
        for key in keys:
            if not catalog.has(lang, key):
                raise FlowError(config.flows_dir / "texts" / f"{lang}.yaml", None, key,
                                f"text required by {by} is missing",
                                f"add {key} (copy it from the shipped catalog)")


def load_flow_bundle(config: Config) -> FlowBundle:
    """Catalogs and flows, validated against each other and against what the core needs."""
    languages = config.languages.available
    catalog = load_catalogs(config.flows_dir / "texts", languages, config.languages.default)
    _require_texts(config, catalog, REQUIRED_TEXTS, "Sebaya")
    flows = load_flows(config.flows_dir, catalog, languages)
    if config.flows.start not in flows:
        config_path = config.base_dir / "config.yaml"
        tree = read_yaml(config_path) if config_path.is_file() else None
        raise ConfigError(config_path, line_at(tree, ("flows", "start")), "flows.start",
                          f"no flow named {config.flows.start!r}",
                          f"use one of: {', '.join(sorted(flows))}")
    coaching = load_coaching(config.flows_dir, [h.contact for h in config.hotlines.items])
    if coaching is not None:
        _require_texts(config, catalog, coaching_texts(coaching), "flows/coaching/rules.yaml")
    _require_texts(config, catalog, TRAINING_TEXTS, "the training gate")
    training = load_training(config.flows_dir, catalog, tuple(languages))
    _require_texts(config, catalog, ANGKET_TEXTS, "the angket")
    _require_texts(config, catalog, SHIFT_TEXTS, "shifts (/jadwal, /tukar, /beban)")
    _require_texts(config, catalog, WELLBEING_TEXTS, "the check-in after a heavy case")
    angkets = load_angkets(config.flows_dir, tuple(languages))
    _require_texts(config, catalog, PRACTICE_TEXTS, "the practice chat (/praktik)")
    practice = load_practice(config.flows_dir, catalog, tuple(languages))
    return FlowBundle(catalog, flows, coaching, training, angkets, practice)


def text_context(config: Config, catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Values every text may use, per language: school, BK office and hours, hotlines."""
    out = {}
    for lang in config.languages.available:
        hotlines = "\n".join(
            catalog.get("core.hotline_line", lang, name=h.name_in(lang), contact=h.contact,
                        use=h.use.get(lang) or next(iter(h.use.values()), ""))
            for h in config.hotlines.items
        )
        out[lang] = {"school": config.school.name, "bk_office": config.school.bk_office,
                     "bk_hours": config.school.bk_hours, "hotlines": hotlines}
    return out


class App:
    """A running Sebaya: call ``start`` then ``stop``; ``settle`` waits for quiet (tests)."""

    def __init__(self, config: Config, store: Store, vault: IdentityVault, core: Core,
                 channels: Mapping[str, Channel], clock: Clock, web_url: str = "") -> None:
        self.config = config
        self.store = store
        self.vault = vault
        self.core = core
        self.clock = clock
        self.channels = dict(channels)
        for channel in self.channels.values():  # command menus, from the same declarations
            if hasattr(channel, "menus"):
                channel.menus = core.menus()
        self.urgency = Urgency(announce=self._announce)  # crisis first, in every worker
        self.sender = OutboxSender(store, vault, self.channels, clock,
                                   on_timer=lambda: self.timers.wake.set(),
                                   urgency=self.urgency)
        self.dispatcher = Dispatcher(
            store, vault, core, clock, config.languages.default, on_queued=self._wake,
            roster=core.roster, windowed=frozenset(
                name for name, channel in self.channels.items()
                if getattr(channel, "reply_window", None) is not None),
            web_url=web_url, urgency=self.urgency)
        self.dispatcher.on_room = lambda: self.sweep_wake.set()
        self.timers = TimerLoop(store, self.dispatcher, clock)
        for channel in self.channels.values():  # groups: a refusal, hotlines for a crisis
            bind = getattr(channel, "bind_group_reply", None)
            if bind is not None:
                bind(lambda text, bot: public_chat.group_reply(core, text, bot))
        self._loops: list[asyncio.Task] = []
        self._announcing: set[asyncio.Task] = set()
        self._running = None  # the mark `sebaya secret rotate` checks (bot/store/running.py)
        self.sweep_wake = asyncio.Event()
        self.sweep_poll = 5.0  # seconds between inbox sweeps (several workers)

    def _wake(self, urgent: bool = False) -> None:
        """Something was queued: the sender delivers it (a crisis through the urgent lane at
        once), the timer loop re-reads its next due."""
        if urgent and self._loops:
            self.sender.kick_urgent()
        self.sender.wake.set()
        self.timers.wake.set()

    @classmethod
    async def build(cls, config: Config, channels: Mapping[str, Channel],
                    clock: Clock | None = None, secret: bytes | None = None,
                    bundle: FlowBundle | None = None,
                    interrupts: Sequence[Interrupt] = (),
                    detector: Detector | None = None, web_url: str = "",
                    features: Sequence[Feature] = FEATURES) -> App:
        bundle = bundle or load_flow_bundle(config)
        for problem in check_placeholders(bundle.flows, bundle.catalog,
                                          config.languages.available):
            log.warning("%s (students see it as written; run sebaya check-flows)",
                        problem.render())
        vault = IdentityVault(secret if secret is not None else load_secret(config),
                              config.school_id)
        contexts = text_context(config, bundle.catalog)
        core = Core(
            flows={name: FlowMachine(flow) for name, flow in bundle.flows.items()},
            catalog=bundle.catalog,
            start_flow=config.flows.start,
            context=lambda lang: contexts.get(lang, contexts[config.languages.default]),
            languages=config.languages.available,
            policy=Policy.from_config(config),
            interrupts=interrupts,
            features=features,
            risk=detector if detector is not None else Detector.default(),
            coaching=bundle.coaching,
            training=bundle.training,
            practice=bundle.practice,
            angkets=bundle.angkets,
        )
        store = await open_store(config.database_path, config.database_url(), vault,
                                 **config.store_options())
        return cls(config, store, vault, core, channels, clock or SystemClock(), web_url)

    async def start(self) -> None:
        """Replay what a previous run left, make sure the daily retention purge is scheduled,
        then run the outbox and timer loops."""
        self._running = await running.mark(self.store)  # sebaya secret rotate waits for none
        await self.ensure_retention()
        await self.refresh_roster()
        async with self.store.read() as db:
            if not await users.anyone_alertable(db):
                log.warning("NO COUNSELOR CAN RECEIVE CRISIS ALERTS: students in danger are told "
                            "to call the hotlines instead. Enrol one: sebaya staff invite --role "
                            "counselor --name \"...\" (then /join CODE in the bot)")
        await self.dispatcher.replay()
        self._loops = [asyncio.create_task(self.sender.run()),
                       asyncio.create_task(self.timers.run())]
        if self.store.several_workers:  # PostgreSQL: other workers write too
            await self.store.listen(self._notified)
            self._loops.append(asyncio.create_task(self._sweep()))

    def _notified(self, tables: set[str]) -> None:
        """A NOTIFY from a transaction of any worker: wake the loops that read its tables
        (NOTIFY has no replay: every loop also polls, at least every ``poll`` seconds)."""
        self.urgency.remote(tables)  # another worker's crisis: ordinary work waits
        if "outbox" in tables:
            self.sender.wake.set()
        if "timers" in tables:
            self.timers.wake.set()
        if "inbox" in tables:
            self.sweep_wake.set()

    def _announce(self, word: str) -> None:
        """Tell the other workers (PostgreSQL's NOTIFY) that this one's crisis work is done."""
        announce = getattr(self.store, "announce", None)
        if announce is None or not self._loops:
            return
        task = asyncio.get_running_loop().create_task(announce(word))
        self._announcing.add(task)
        task.add_done_callback(self._announced)

    def _announced(self, task: asyncio.Task) -> None:
        self._announcing.discard(task)
        if not task.cancelled() and task.exception() is not None:  # the database went away:
            log.info("calm not announced (%s)", type(task.exception()).__name__)  # bounded

    async def refresh_roster(self) -> bool:
        """Use the roster guru BK saved on the web view's Staff page, if any (else
        config.yaml's): the core and the dispatcher answer "on shift now?" from it. Whether
        the roster in use changed."""
        async with self.store.read() as db:
            fresh = await roster_store.in_use(db, self.config)
        if fresh == self.core.roster:
            return False
        self.core.roster = self.dispatcher.roster = fresh
        return True

    async def _sweep(self) -> None:
        """Claim events nobody handles: a dead worker's (once its lease ran out) or a busy
        worker's (at once: the NOTIFY of their insert wakes this)."""
        while True:
            try:
                await self.dispatcher.sweep()
            except self.store.unavailable:
                log.warning("database unavailable; the inbox sweep tries again")
            try:  # another worker's web view may have edited it; never stops the sweep
                await self.refresh_roster()
            except Exception:
                log.exception("roster not refreshed; the one in use stays")
            await sleep_until(self.clock, None, self.sweep_wake, self.sweep_poll)

    async def settle(self) -> None:
        """Handle everything accepted, fire due timers, deliver everything due."""
        for _ in range(50):
            await self.dispatcher.drain()
            fired = await self.timers.fire_due()
            await self.dispatcher.drain()
            sent = await self.sender.flush()
            if not fired and not sent and not self.dispatcher.busy \
                    and not await self.timers.any_due():  # a failed send may have set one
                return

    async def stop(self) -> None:
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []
        await self.dispatcher.drain()
        if self._running is not None:
            await self._running.release()
            self._running = None
        await self.store.close()

    async def ensure_retention(self) -> None:
        async with self.store.transaction() as db:
            await timers.ensure(db, SYSTEM, RETENTION_TIMER, self.clock.now())

    async def staff_addresses(self, channel: str) -> list[tuple[str, str]]:
        """(address, role) of the staff on a channel, for per-role command menus."""
        async with self.store.transaction() as db:
            people = await users.staff(db)
        return [(self.vault.open(p.address), p.role) for p in people if p.channel == channel]

    async def enrol_local_staff(self, channel: str, user_id: str, address: str, role: str,
                                name: str, duty: str = "auto", approved: bool = True) -> None:
        """Enrol a staff persona directly (console mode, where the operator is trusted). A
        peer enrolled so counts as trained and approved by the operator (an audit row says
        so) unless ``approved`` is False; a peer who joins with an invite is trained in chat."""
        key = self.vault.user_key(channel, user_id)
        async with self.store.transaction() as db:
            await users.touch(db, key, channel, lambda: self.vault.seal(address),
                              self.config.languages.default, self.clock.now())
            await users.set_role(db, key, role, name)
            await users.set_duty(db, key, duty)
            if role == "peer":  # a console persona's name is made up: it is the pseudonym
                await users.set_pseudonym(db, key, name)
                if approved:  # the operator vouches for them: recorded, like any approval
                    await users.set_training(db, key, self.clock.now(), trained=True,
                                             approved_by="operator")
                    await audit.record(db, None, "peer_approved", {
                        "code": (await users.get(db, key)).code, "by": "operator"},
                        self.clock.now())
