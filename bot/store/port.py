"""The store port: what the runtime needs from a database, and the choice between the two.

Two adapters implement it: ``bot.store.db.Store`` (SQLite, the embedded default: one process,
one writer connection, lanes as a priority lock) and ``bot.store.pg.store.PgStore``
(PostgreSQL: a pool per lane, shared by several worker processes). The query modules
(``bot/store/*.py``) take the connection a transaction yields and run the same hand-written SQL
on both (``bot/store/pg/sql.py`` bridges SQLite's spellings). One contract suite
(``tests/store``) runs against both.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.store.db import Sealer, Store


class StorePort(Protocol):
    """A durable store: all-or-nothing transactions in lanes, migrations, person locks."""

    dialect: str  # "sqlite" | "postgres"
    several_workers: bool  # other processes may share this database
    unavailable: tuple[type[BaseException], ...]  # "the database is away": retry later
    conflicts: tuple[type[BaseException], ...]  # "run the transaction again" (serialisation)

    def transaction(self, urgent: bool = False, lane: int | None = None
                    ) -> AbstractAsyncContextManager[Any]: ...

    def read(self, urgent: bool = False, lane: int | None = None
             ) -> AbstractAsyncContextManager[Any]: ...

    async def lock_person(self, db: Any, key: str) -> None: ...

    async def try_lock_person(self, db: Any, key: str) -> bool: ...

    async def listen(self, on_notify: Callable[[set[str]], None]) -> None: ...

    async def checkpoint(self) -> None: ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> int: ...

    async def close(self) -> None: ...


DEFAULT_SCHOOL = "default"  # the implicit single school (how PostgreSQL rows spell it)


async def open_store(path: str | Path, url: str | None, sealer: Sealer | None = None, *,
                     school: str | None = None, **options: Any) -> StorePort:
    """PostgreSQL when ``url`` is set (``database.url`` / SEBAYA_DATABASE_URL), else SQLite
    at ``path``.

    ``school`` (issue #19): on SQLite a school is a database file of its own (``path``), so
    nothing more is done with it. On PostgreSQL all schools share one database: the store is
    a view bound to the school (None: the implicit one, ``'default'``), row-level security
    keeps it to its rows, and the views of one process on one URL share one pool
    (``bot/store/pg/shared.py``). The sealer is the view's own. PostgreSQL's options:
    ``pool_size``, ``urgent_size``, ``migrate_url`` (the tables' owner, for migrations),
    ``school_share`` (the part of a shared pool one school may hold), ``migrate``."""
    if url:
        from bot.store.pg.store import PgStore  # asyncpg loads only for PostgreSQL

        return await PgStore.open(url, sealer, school=school, **options)
    return await Store.open(path, sealer)  # one connection: the options are PostgreSQL's


T = TypeVar("T")


async def retrying(store: StorePort, work: Callable[[], Awaitable[T]], attempts: int = 10) -> T:
    """Run ``work`` (which opens its own transaction) again when the database aborted it as
    a conflict with a concurrent one (PostgreSQL: a deadlock between workers' locks, a
    serialisation failure). On SQLite transactions are serial and nothing is retried."""
    for attempt in range(attempts):
        try:
            return await work()
        except store.conflicts:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
    raise AssertionError("unreachable")


def is_postgres(db: Any) -> bool:
    """Is this transaction's connection PostgreSQL's (for the few queries that differ)?"""
    return getattr(db, "dialect", "sqlite") == "postgres"


__all__ = ["DEFAULT_SCHOOL", "StorePort", "is_postgres", "open_store", "retrying"]
