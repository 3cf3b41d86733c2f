"""Shift holds and swaps on both stores: capacity held in the insert itself, a swap taken
once, a no-show and an arrival recorded, hours on duty per week, and the retention purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.identity import IdentityVault
from bot.core.keys import UserKey
from bot.store import retention, shifts, users
from bot.store.db import Overtaken
from bot.store.port import StorePort, open_store

WIB = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 11, 24, 7, 0, tzinfo=WIB)  # a Tuesday
END = START + dt.timedelta(hours=8)
NOW = START - dt.timedelta(days=1)
VAULT = IdentityVault(b"shift-secret-0123456789")
A, B, C = UserKey("peer-a"), UserKey("peer-b"), UserKey("peer-c")


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorePort]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened = await open_store(tmp_path / "s.sqlite3", url, VAULT)
    async with opened.transaction() as db:
        for key, name in ((A, "Bintang"), (B, "Awan"), (C, "Langit")):
            await users.touch(db, key, "test", lambda: b"x", "id", NOW)
            await users.set_role(db, key, "peer", name)
            await users.set_pseudonym(db, key, name)
    yield opened
    await opened.close()


async def test_the_last_place_goes_once_and_a_swap_is_taken_once(store: StorePort) -> None:
    async with store.transaction() as db:
        await shifts.take(db, A, START, END, 2, NOW)
        await shifts.take(db, B, START, END, 2, NOW)
    with pytest.raises(Overtaken):  # full
        async with store.transaction() as db:
            await shifts.take(db, C, START, END, 2, NOW)
    async with store.transaction() as db:
        await shifts.leave(db, B, START, NOW)
        await shifts.ask_swap(db, "tok", A, START, NOW)
    async with store.read() as db:
        [hold] = await shifts.holds_between(db, START, END)
        request = await shifts.swap(db, "tok")
    assert hold.name == "Bintang" and hold.swap_open
    assert request.status == "open" and request.holders == (A,) and request.ends_at == END
    async with store.transaction() as db:
        await shifts.take_swap(db, "tok", C, A, START, NOW)
    with pytest.raises(Overtaken):  # a second taker lost
        async with store.transaction() as db:
            await shifts.take_swap(db, "tok", B, A, START, NOW)
    async with store.read() as db:
        assert [h.name for h in await shifts.holds_between(db, START, END)] == ["Langit"]
        assert (await shifts.swap(db, "tok")).status == "taken"


async def test_arrival_leaving_and_no_show_make_the_weeks_hours(store: StorePort) -> None:
    async with store.transaction() as db:
        await shifts.take(db, A, START, END, 2, NOW)
        await shifts.take(db, B, START, END, 2, NOW)
        await shifts.mark(db, A, START, "arrived", START + dt.timedelta(minutes=10))
        await shifts.mark(db, A, START, "left", START + dt.timedelta(hours=2, minutes=10))
        await shifts.mark(db, B, START, "no_show", START + dt.timedelta(minutes=30))
    monday = START.date() - dt.timedelta(days=1)
    async with store.read() as db:
        loads = {p.name: p.weeks for p in await shifts.peer_loads(db, monday, 2, WIB, END)}
    assert loads["Bintang"][0].hours == pytest.approx(2.0)
    assert loads["Awan"][0].no_shows == 1 and loads["Awan"][0].hours == 0
    assert loads["Langit"][1].hours == 0  # last week
    async with store.transaction() as db:
        await retention.purge(db, START + dt.timedelta(days=1), START, START)
    async with store.read() as db:
        assert await shifts.holds_between(db, START, END) == ()
