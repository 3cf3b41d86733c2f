"""The angket's rows on both stores: answers counted without a student, one response each."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.identity import IdentityVault
from bot.store import angket
from bot.store.port import StorePort, open_store

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
VAULT = IdentityVault(b"angket-secret-0123456789")


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorePort]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened = await open_store(tmp_path / "s.sqlite3", url, VAULT)
    yield opened
    await opened.close()


async def test_an_angket_opens_closes_and_reopens_with_its_answers(store: StorePort) -> None:
    week = NOW + dt.timedelta(days=7)
    async with store.transaction() as db:
        await angket.open_run(db, "a", NOW, week, "bk")
        await angket.record(db, "a", "m1", "p1", "ya")
    async with store.read() as db:
        run = (await angket.runs(db))["a"]
    assert run.is_open(NOW + dt.timedelta(hours=1)) and not run.is_open(week)
    async with store.transaction() as db:
        assert await angket.close_run(db, "a", NOW + dt.timedelta(hours=2))
        assert not await angket.close_run(db, "a", NOW + dt.timedelta(hours=3))  # closed
    async with store.read() as db:
        assert not (await angket.runs(db))["a"].is_open(NOW + dt.timedelta(hours=3))
    async with store.transaction() as db:
        await angket.open_run(db, "a", NOW + dt.timedelta(days=1), week, "bk")
    async with store.read() as db:
        assert (await angket.runs(db))["a"].is_open(NOW + dt.timedelta(days=2))
        assert await angket.counts(db, "a") == (1, {("p1", "ya"): 1})


async def test_answers_are_counted_per_item_and_students_once(store: StorePort) -> None:
    async with store.transaction() as db:
        await angket.open_run(db, "a", NOW, NOW + dt.timedelta(days=7), None)
        for mark, answer in (("m1", "ya"), ("m2", "ya"), ("m3", "tidak")):
            await angket.record(db, "a", mark, "p1", answer)
        await angket.record(db, "a", "m1", "p2", "3")  # the same student's second item
    async with store.read() as db:
        respondents, counted = await angket.counts(db, "a")
        assert await angket.begun(db, {"a": "m1", "b": "m1"}) == {"a"}  # b: never opened
        assert await angket.begun(db, {"a": "m9"}) == frozenset()
        assert (await angket.runs(db))["a"].respondents == 3
        assert await angket.counts(db, "other") == (0, {})
    assert respondents == 3
    assert counted == {("p1", "ya"): 2, ("p1", "tidak"): 1, ("p2", "3"): 1}


async def test_an_answer_row_holds_nothing_that_points_to_a_student(store: StorePort) -> None:
    async with store.transaction() as db:
        await angket.record(db, "a", "mark-of-someone", "p1", "ya")
    async with store.read() as db:
        rows = await db.execute_fetchall("SELECT * FROM angket_answers")
    (row,) = rows
    # (PostgreSQL: and its school, which every row has: migration 008)
    assert set(row.keys()) - {"school"} == {"token", "angket_id", "item_id", "answer"}
    assert "mark-of-someone" not in tuple(row)
