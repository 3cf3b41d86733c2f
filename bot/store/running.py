"""Is a bot running on this database? A mark every running bot holds, and an exclusive hold
for the few commands that must run alone (``sebaya secret rotate``).

Nothing recorded this before: other commands (``staff``, ``report``, ``backup``) run beside a
live bot on purpose. The mark is a lock the operating system or the database releases when its
holder dies, so a crash never leaves a stale "running" behind (as a pid file would):

* SQLite: ``flock`` on ``<database>.running`` beside the database: shared by each running bot,
  exclusive (non-blocking) for a command that must run alone;
* PostgreSQL: a session advisory lock, shared by each worker (on any machine), exclusive for
  such a command. A worker holds every school's mark on its one lock connection
  (``bot/store/pg/shared.py``, ``Locks``), not a connection per school.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

RUNNING_SPACE = 0x5E8A_0006  # advisory lock namespace (see bot/store/pg/store.py)


class BotRunning(Exception):
    """A bot (or a worker) is running on this database."""


def mark_path(database: Path) -> Path:
    return database.with_name(database.name + ".running")


def _pg_key(store: Any) -> tuple[int, int]:
    """One school's mark (a school's bot runs beside another's rotation)."""
    from bot.store.pg.store import lock_key

    return lock_key(RUNNING_SPACE, store.lock_name("bot"))


class _Mark:
    def __init__(self, handle: Any, postgres: bool, store: Any = None) -> None:
        self.handle = handle
        self.postgres = postgres
        self.store = store

    async def release(self) -> None:
        if self.postgres:
            with contextlib.suppress(Exception):
                await self.store.locks.unmark(*self.handle)
        else:
            os.close(self.handle)  # closing the descriptor drops the flock


def _flock(database: Path, mode: int) -> int:
    fd = os.open(mark_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


async def mark(store: Any) -> _Mark | None:
    """Hold the running mark (shared with other running bots) until ``release``."""
    if getattr(store, "dialect", "sqlite") == "postgres":
        key = _pg_key(store)
        while not await store.locks.try_mark(*key):
            # a command runs alone: wait for it on a connection of our own (never blocking
            # the lock connection every school's locks share), then take the mark there
            con = await store.connect()
            try:
                await con.execute("SELECT pg_advisory_lock_shared($1, $2)", *key)
            finally:
                with contextlib.suppress(Exception):
                    await con.close()
        return _Mark(key, True, store)
    if store.path is None or str(store.path) == ":memory:":
        return None
    return _Mark(_flock(Path(store.path), fcntl.LOCK_SH), False)


@asynccontextmanager
async def alone(target: Any) -> AsyncIterator[None]:
    """Run the body only while no bot holds the mark (BotRunning otherwise); a bot that
    starts meanwhile waits for its mark until the body is done. ``target``: the SQLite
    database's path (checked before the file is even opened), or an open PostgreSQL store."""
    if getattr(target, "dialect", "sqlite") == "postgres":
        con = await target.connect()
        try:
            if not await con.fetchval("SELECT pg_try_advisory_lock($1, $2)",
                                       *_pg_key(target)):
                raise BotRunning("a worker is running on this database")
            yield
        finally:
            with contextlib.suppress(Exception):
                await con.close()
        return
    path = Path(target)
    try:
        fd = _flock(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        raise BotRunning(f"a bot is running on {path}") from exc
    try:
        yield
    finally:
        os.close(fd)
