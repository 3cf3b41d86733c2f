"""Decisions about shared things, raced by two workers on one PostgreSQL database.

On SQLite one writer decides one event at a time. On PostgreSQL two workers decide at once,
each from what its own transaction read; every check-then-act on something shared must hold
a lock of what it decides about (bot/store/pg/store.py). Each test here makes both workers
read and decide before either commits (``meet``: the two transactions wait for each other
between the core's decision and its effects, or for a second at most when one blocks the
other), then checks that only one of them won.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.core.appointments import proposed_slots
from bot.core.events import InboundEvent, Kind
from bot.runtime import dispatcher as dispatcher_module
from tests.conftest import SECRET, enrol
from tests.core.test_handoff import PEER_CASE
from tests.dialog import Dialog, RecordingChannel

_ids = itertools.count(1)


def _event(who: str, kind: Kind, text: str = "", data: str = "") -> InboundEvent:
    return InboundEvent("test", f"race-{next(_ids)}", who, who, kind, text=text, data=data)


@pytest.fixture
async def workers(config: Config, pg_url: str, clock: ManualClock) -> AsyncIterator[list[App]]:
    pg = config.model_copy(update={"database": config.database.model_copy(
        update={"url": pg_url})})
    apps = []
    for _ in range(2):
        channel = RecordingChannel()
        apps.append(await App.build(pg, {channel.name: channel}, clock=clock, secret=SECRET))
    yield apps
    for app in apps:
        await app.stop()


@pytest.fixture
def meet(monkeypatch: pytest.MonkeyPatch):
    """From now on, the next two transactions that reach the core's effects wait there for
    each other (a second at most): both decided from what they read, neither committed."""

    def arm() -> None:
        original = dispatcher_module.apply_effects
        arrived: list[int] = []
        both = asyncio.Event()

        async def gated(*args, **kwargs):
            arrived.append(1)
            if len(arrived) <= 2:
                if len(arrived) == 2:
                    both.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(both.wait(), 1.0)
            return await original(*args, **kwargs)

        monkeypatch.setattr(dispatcher_module, "apply_effects", gated)

    return arm


async def _race(workers: list[App], first: InboundEvent, second: InboundEvent) -> None:
    await asyncio.gather(workers[0].dispatcher.accept(first),
                         workers[1].dispatcher.accept(second))
    for _ in range(3):
        await asyncio.gather(*(app.dispatcher.drain() for app in workers))
        await asyncio.gather(*(app.dispatcher.sweep() for app in workers))
    for app in workers:
        await app.settle()


async def _rows(app: App, sql: str, *args) -> list:
    async with app.store.read() as db:
        return await db.execute_fetchall(sql, args)


async def _audits(app: App, action: str) -> int:
    return (await _rows(app, "SELECT COUNT(*) FROM audit WHERE action = ?", action))[0][0]


async def test_two_counselors_taking_one_crisis_on_two_workers_one_owner(
        workers: list[App], meet) -> None:
    d = Dialog(workers[0], workers[0].channels["test"])  # type: ignore[arg-type]
    await enrol(workers[0], "bk1", "counselor", "Bu Rina")
    await enrol(workers[0], "bk2", "counselor", "Pak Dedi")
    await d.say("s1", "aku pengen mati aja")
    data = d.button_data("bk1", "Saya tangani")
    meet()
    await _race(workers, _event("bk1", Kind.BUTTON, "Saya tangani", data),
                _event("bk2", Kind.BUTTON, "Saya tangani", data))
    assert await _audits(workers[0], "case_claimed") == 1
    assert await _audits(workers[0], "claim_refused") == 1
    owners = await _rows(workers[0], "SELECT assignee_key FROM cases WHERE status = 'active'")
    assert len(owners) == 1


async def test_one_peer_at_capacity_accepting_two_offers_on_two_workers_gets_one(
        workers: list[App], meet) -> None:
    d = Dialog(workers[0], workers[0].channels["test"])  # type: ignore[arg-type]
    await enrol(workers[0], "p1", "peer", "Bintang")  # peer_capacity is 1 in config.yaml
    await enrol(workers[0], "bk", "counselor", "Bu Rina")
    offers = []
    for student in ("s1", "s2"):
        await d.play([(student, step) for step in PEER_CASE])
        offers.append(d.button_data("p1", "Terima"))
    assert offers[0] != offers[1]  # two students offered to the same peer at once
    meet()
    await _race(workers, _event("p1", Kind.BUTTON, "Terima", offers[0]),
                _event("p1", Kind.BUTTON, "Terima", offers[1]))
    assert await _audits(workers[0], "offer_accepted") == 1
    held = await _rows(workers[0], "SELECT COUNT(*) FROM cases AS c JOIN users AS u "
                       "ON u.key = c.assignee_key WHERE c.status = 'active' AND u.role = 'peer'")
    assert held[0][0] == 1


async def test_two_students_and_the_last_group_seat_on_two_workers_one_seat(
        workers: list[App], clock: ManualClock, meet) -> None:
    d = Dialog(workers[0], workers[0].channels["test"])  # type: ignore[arg-type]
    await enrol(workers[0], "bk", "counselor", "Bu Rina")
    await d.say("bk", "/sesi Kelola stres | 2026-11-30 13:00 | Aula | 1")
    (session,) = await _rows(workers[0], "SELECT id FROM group_sessions")
    for student in ("s1", "s2"):
        await d.say(student, "halo")
    meet()
    await _race(workers, _event("s1", Kind.BUTTON, "Ikut", f"gs:join:{session[0]}"),
                _event("s2", Kind.BUTTON, "Ikut", f"gs:join:{session[0]}"))
    signups = await _rows(workers[0], "SELECT COUNT(*) FROM group_signups")
    assert signups[0][0] == 1  # one seat, one student
    told = [m.text for app in workers for m in app.channels["test"].sent  # type: ignore
            if m.address in ("s1", "s2")][-2:]
    joined = [t for t in told if "Kelola stres" in t and "penuh" not in t.lower()]
    full = [t for t in told if "penuh" in t.lower()]
    assert len(joined) == 1 and len(full) == 1, told  # the other one is told it is full
    reminders = await _rows(workers[0], "SELECT COUNT(*) FROM timers WHERE kind LIKE 'group:%'")
    assert reminders[0][0] == 1  # and gets no reminder for a seat they do not have


async def test_two_counselors_confirming_one_appointment_on_two_workers_one_confirmation(
        workers: list[App], clock: ManualClock, meet) -> None:
    d = Dialog(workers[0], workers[0].channels["test"])  # type: ignore[arg-type]
    await enrol(workers[0], "bk1", "counselor", "Bu Rina")
    await enrol(workers[0], "bk2", "counselor", "Pak Dedi")
    slot = proposed_slots(workers[0].core, clock.now())[0]
    await d.say("s1", "halo")
    await d.deliver(_event("s1", Kind.BUTTON, "slot",
                           "ap:slot:" + slot.astimezone(workers[0].core.tz)
                           .strftime("%Y%m%d%H%M")))
    data = d.button_data("bk1", "Konfirmasi")
    meet()
    await _race(workers, _event("bk1", Kind.BUTTON, "Konfirmasi", data),
                _event("bk2", Kind.BUTTON, "Konfirmasi", data))
    (row,) = await _rows(workers[0], "SELECT status, confirmed_by FROM appointments")
    assert row[0] == "confirmed"
    reminders = await _rows(workers[0], "SELECT COUNT(*) FROM timers WHERE kind LIKE "
                            "'appt_reminder%' AND owner_key != ?", workers[0].vault.user_key(
                                "test", "s1").value)
    assert reminders[0][0] == 1  # one counselor's reminder, not two
    confirmed = [m for app in workers for m in app.channels["test"].sent  # type: ignore
                 if m.address in ("bk1", "bk2") and "dikonfirmasi untuk" in m.text]
    assert len(confirmed) == 1  # the other counselor is told who has it
