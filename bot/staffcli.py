"""`sebaya staff invite|list|approve|remove`: enrolment from the school's own machine."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.clock import Clock, SystemClock
from bot.config import Config, load_secret
from bot.core.identity import IdentityVault
from bot.core.training import APPROVED_TIMER, gate
from bot.store import audit, invites, staffing, timers, users
from bot.store.db import Store
from bot.store.port import open_store

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


async def invite(config: Config, role: str, name: str | None, days: int,
                 clock: Clock | None = None) -> str:
    """Create a single-use invite; returns the code (only its keyed hash is stored)."""
    clock = clock or SystemClock()
    vault = IdentityVault(load_secret(config), config.school_id)
    code = new_code()
    store = await open_store(config.database_path, config.database_url(), vault,
                             school=config.school_id)
    try:
        async with store.transaction() as db:
            await invites.create(db, vault.token_hash(code), role, name, clock.now(),
                                 dt.timedelta(days=days))
            await audit.record(db, None, "invite_created", {"role": role}, clock.now())
    finally:
        await store.close()
    return code


@contextlib.asynccontextmanager
async def _opened(config: Config) -> AsyncIterator[Store]:
    """The school's database, opened with its secret (a different one is refused)."""
    store = await open_store(config.database_path, config.database_url(),
                             IdentityVault(load_secret(config), config.school_id),
                             school=config.school_id)
    try:
        yield store
    finally:
        await store.close()


async def listing(config: Config) -> list[users.UserRow]:
    async with _opened(config) as store, store.transaction() as db:
        return await users.staff(db)


@dataclass(frozen=True)
class RemovalPlan:
    """What removing a staff member would do (shown before anything changes)."""

    name: str
    role: str
    active: int  # cases they hold now: they go back to the queue
    crises: int  # of which crisis cases: guru BK's ladder starts again
    last_counselor: bool  # nobody left to receive crisis alerts

    @property
    def risky(self) -> bool:
        return bool(self.active or self.last_counselor)


async def plan_removal(config: Config, who: str) -> RemovalPlan | None:
    async with _opened(config) as store, store.read() as db:
        person = await users.find_staff(db, who)
        if person is None:
            return None
        held = await db.execute_fetchall(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN level = 'crisis' THEN 1 ELSE 0 END), 0) "
            "FROM cases WHERE assignee_key = ? AND status = 'active'", (person.key.value,))
        others = await db.execute_fetchall(
            "SELECT COUNT(*) FROM users WHERE role IN ('counselor', 'backup') AND key != ?",
            (person.key.value,))
    return RemovalPlan(person.display_name or person.pseudonym or person.code, person.role,
                       held[0][0], held[0][1],
                       person.role in ("counselor", "backup") and others[0][0] == 0)


async def remove(config: Config, who: str, clock: Clock | None = None) -> tuple[str, int] | None:
    """Remove a staff member; their open cases go back to the queue. None: not found."""
    clock = clock or SystemClock()
    async with _opened(config) as store, store.transaction() as db:
        person = await users.find_staff(db, who)
        if person is None:
            return None
        requeued = await staffing.remove(db, person.key, clock.now())
        await audit.record(db, None, "staff_removed", {
            "role": person.role, "who": person.display_name or person.pseudonym or person.code,
            "requeued": requeued}, clock.now())
        return person.display_name or person.pseudonym or person.code, requeued


async def approve(config: Config, who: str, clock: Clock | None = None) -> tuple[str, str]:
    """Approve a trained peer (``sebaya staff approve NAME``), audited; the bot tells the peer
    through a timer due now (this runs in another process). Returns (outcome, name): outcome
    is approved | already | untrained | not_peer | unknown."""
    clock = clock or SystemClock()
    async with _opened(config) as store, store.transaction() as db:
        person = await users.find_staff(db, who)
        if person is None:
            return "unknown", who
        name = person.pseudonym or person.display_name or person.code
        if person.role != "peer":
            return "not_peer", name
        state = gate(person.trained_at, person.approved_at, clock.now(),
                     dt.timedelta(days=config.training.approval_days))
        if state == "ok":
            return "already", name
        if state in ("untrained", "expired"):  # expired: the refresher in chat comes first
            return "untrained", name
        await users.set_training(db, person.key, clock.now(), approved_by="operator")
        await audit.record(db, None, "peer_approved", {"code": person.code, "by": "cli"},
                           clock.now())
        await timers.start(db, person.key, APPROVED_TIMER, clock.now(), {})
        return "approved", name
