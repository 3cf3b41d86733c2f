"""The schools of one process hold their session locks on one connection (issue #19).

Each school's running mark and singletons are session advisory locks; a connection of their
own per school and worker made 100 schools on two workers exceed max_connections. The views
of one process share one lock connection: the connections a process uses do not grow with
its schools, and each lock still fails over when that connection dies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.core.identity import IdentityVault
from bot.store import running
from bot.store.pg.store import PgStore
from bot.store.singleton import Singleton
from tests.pgserver import owner_url

SECRET = b"schools-secret-0123456789abcdef"


@pytest.fixture
async def url(pg_server) -> AsyncIterator[str]:
    found = pg_server.migrated_database()
    yield found
    pg_server.release(found)


async def _connections(admin: asyncpg.Connection, database: str) -> int:
    return await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                                "AND pid <> pg_backend_pid()", database)


async def _serve(url: str, count: int) -> tuple[list[PgStore], list, list[Singleton]]:
    """``count`` schools' views in this process, each holding its mark and a singleton."""
    stores = [await PgStore.open(url, IdentityVault(SECRET), school=f"sekolah{i}",
                                 migrate_url=owner_url(url)) for i in range(count)]
    marks = [await running.mark(s) for s in stores]
    polls = [Singleton(s, "telegram-polling") for s in stores]
    for poll in polls:
        assert await poll.try_acquire()
    return stores, marks, polls


async def _stop(stores: list[PgStore], marks: list, polls: list[Singleton]) -> None:
    for poll in polls:
        await poll.release()
    for mark in marks:
        await mark.release()
    for store in stores:
        await store.close()


async def test_schools_of_one_worker_use_connections_not_proportional_to_schools(
        url: str, pg_server) -> None:
    admin = await asyncpg.connect(pg_server.admin_url(url))
    database = await admin.fetchval("SELECT current_database()")
    try:
        used = {}
        for count in (2, 12):
            served = await _serve(url, count)
            used[count] = await _connections(admin, database)
            await _stop(*served)
        assert used[12] == used[2], used  # the same pools, listener and lock connection
    finally:
        await admin.close()


async def test_a_school_marked_running_refuses_a_command_that_must_run_alone(url: str) -> None:
    stores, marks, polls = await _serve(url, 2)
    try:
        with pytest.raises(running.BotRunning):
            async with running.alone(stores[0]):
                pass
        await marks[0].release()
        async with running.alone(stores[0]):  # the other school's mark is its own
            pass
        with pytest.raises(running.BotRunning):
            async with running.alone(stores[1]):
                pass
    finally:
        await _stop(stores, marks[1:], polls)


async def test_singletons_of_schools_fail_over_together_when_the_lock_connection_dies(
        url: str, pg_server) -> None:
    first = await _serve(url, 3)
    second = [await PgStore.open(url, IdentityVault(SECRET), school=f"sekolah{i}")
              for i in range(3)]
    others = [Singleton(s, "telegram-polling") for s in second]
    try:
        assert not any([await p.try_acquire() for p in others])
        admin = await asyncpg.connect(pg_server.admin_url(url))
        try:  # the first worker's lock connection ends: each of its schools' locks goes
            pid = first[2][0].server_pid()
            assert pid == first[2][2].server_pid()  # one connection for every school
            assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
        finally:
            await admin.close()
        assert all([await p.try_acquire() for p in others])
        for poll in first[2]:
            assert not await poll.still_held() and poll.lost.is_set()
            assert not await poll.try_acquire()
        await others[1].release()
        assert await first[2][1].try_acquire()  # a released school's lock, and only its
        assert not await first[2][0].try_acquire()
    finally:
        for poll in others:
            await poll.release()
        for store in second:
            await store.close()
        await _stop(*first)
