"""The PostgreSQL store: a pool of connections shared by several worker processes.

Same contract as the SQLite ``Store`` (``transaction``, ``read``, ``migrate``, ``close``): a
transaction commits on success and rolls back on any exception. What several workers add:

* **lanes become pools**: crisis transactions (``urgent``) use a small pool of their own, so a
  pool exhausted by ordinary work (back-pressure: callers wait for a connection) never delays
  a crisis, and a slow query of one person never holds another person's crisis;
* **per-person order**: ``lock_person`` takes a transaction-scoped advisory lock keyed on the
  person, so one person's events and timers are handled one at a time across all workers;
* **wake-ups**: a transaction that inserted into the inbox, outbox or timers sends ``NOTIFY sebaya``
  with those table names at commit; ``listen`` hands them to the runtime's wake events. NOTIFY
  has no replay, so the loops keep polling too (``bot/clock.sleep_until``'s cap);
* **decisions from what a transaction read**: SQLite runs one transaction at a time, and the
  core decides from what it reads inside it (is the case still waiting? is the invite
  unused?). PostgreSQL runs READ COMMITTED; a decision about a shared thing holds the lock of
  what it decides about: the person (``lock_person``), the student of a case a staff button
  or command acts on (the dispatcher), an invite's row (``FOR UPDATE``). SERIALIZABLE was
  tried first: every event reads the whole users table (is anyone alertable?) while others
  write it, and with ten people at once retries ran out. Deadlocks and serialisation
  failures (``conflicts``) are run again by ``bot.store.port.retrying``;
* **migrations** run under an advisory lock: workers starting together migrate once. A
  migration that turns a plaintext column into a sealed one names it on a ``-- @seal
  table.column`` line: its rows are sealed here, in Python, in the migration's transaction
  (the database never sees the key).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import asyncpg

from bot.store.db import Overtaken, Sealer, SealingUnavailable, SecretMismatch
from bot.store.pg.conn import PgConnection

log = logging.getLogger("sebaya.store.pg")
CHANNEL = "sebaya"  # the NOTIFY channel
NOTIFIED = frozenset({"inbox", "outbox", "timers"})
MIGRATION_LOCK = 0x5E8A_0001  # advisory lock ids: namespaced so they collide with nothing else
PERSON_SPACE = 0x5E8A_0002
RECIPIENT_SPACE = (0x5E8A_0004, 0x5E8A_0005)  # (ordinary drains, crisis drains)
# What a lost or restarting database raises: the work stays queued and is tried again,
# never marked failed (bot/runtime/dispatcher.py).
UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError, asyncpg.InternalClientError,  # the latter: a connection cut
    ConnectionError, OSError)                                  # mid-statement, seen here


# A transaction PostgreSQL aborted to keep transactions serialisable, or one whose decision
# another worker's commit overtook (bot.store.db.Overtaken): run it again.
CONFLICTS: tuple[type[BaseException], ...] = (
    asyncpg.SerializationError, asyncpg.DeadlockDetectedError, Overtaken)


def lock_key(space: int, name: str) -> tuple[int, int]:
    """Two 32-bit advisory lock keys: a namespace and a hash of the name."""
    digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
    return space, int.from_bytes(digest, "big", signed=True)


def migrations() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of every PostgreSQL migration, in order."""
    found = []
    for entry in (resources.files("bot.store.pg") / "migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


_SEAL_LINE = re.compile(r"^--\s*@seal\s+(\w+)\.(\w+)\s*$", re.MULTILINE)


def sealed_by(sql: str) -> list[tuple[str, str]]:
    """(table, column) of each ``-- @seal table.column`` line of a migration: a column whose
    values are all plaintext (bytes) once the migration's SQL has run, to be sealed."""
    return _SEAL_LINE.findall(sql)


async def _seal_column(con: asyncpg.Connection, sealer: Sealer | None, table: str,
                       column: str) -> None:
    rows = await con.fetch(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
    if not rows:
        return
    if sealer is None:
        raise SealingUnavailable(f"sealing {table}.{column} needs the installation secret")
    await con.executemany(f"UPDATE {table} SET {column} = $1 WHERE id = $2",
                          [(sealer.seal(bytes(row[1]).decode()), row[0]) for row in rows])


async def _reset(con: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool. asyncpg's default sends
    ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` every time (a round trip
    per use, three an event); pooled connections here hold no session state (person locks are
    transaction-scoped; LISTEN, recipient and singleton locks have connections of their own),
    so only a transaction left open (a cut-off one) is rolled back."""
    if con.is_in_transaction():
        await con.execute("ROLLBACK")


async def _init_connection(con: asyncpg.Connection) -> None:
    # SUM and AVG give numeric: as SQLite does, integers stay int, the rest is float
    await con.set_type_codec(
        "numeric", schema="pg_catalog", format="text", encoder=str,
        decoder=lambda text: int(text) if text.lstrip("-").isdigit() else float(text))


class PgStore:
    """PostgreSQL behind the store port (see bot/store/port.py)."""

    dialect = "postgres"
    several_workers = True
    unavailable = UNAVAILABLE
    conflicts = CONFLICTS

    def __init__(self, url: str, pool: asyncpg.Pool, urgent_pool: asyncpg.Pool,
                 sealer: Sealer | None) -> None:
        self.url = url
        self.path = None
        self._pool = pool
        self._urgent = urgent_pool
        self._sealer = sealer
        self._listener: asyncpg.Connection | None = None
        # the recipient locks, on a connection per lane: a crisis drain's lock never waits
        # behind an ordinary pass taking the locks of many recipients
        self._drains: dict[bool, asyncpg.Connection | None] = {False: None, True: None}
        self._drains_lock = {False: asyncio.Lock(), True: asyncio.Lock()}

    @classmethod
    async def open(cls, url: str, sealer: Sealer | None = None, pool_size: int = 10,
                   urgent_size: int = 2, migrate: bool = True) -> PgStore:
        """Connect, migrate (once, whoever starts first) and check the installation secret.
        ``migrate=False`` (sebaya doctor) changes nothing: an unknown secret is only compared
        with the stored one."""
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size,
                                         init=_init_connection, reset=_reset)
        urgent = await asyncpg.create_pool(url, min_size=1, max_size=urgent_size,
                                           init=_init_connection, reset=_reset)
        store = cls(url, pool, urgent, sealer)
        try:
            if migrate:
                await store.migrate()
            elif hasattr(sealer, "unlock"):
                await store._unlock_only()
            fingerprint = getattr(sealer, "fingerprint", None)
            if fingerprint is not None and (migrate or await store.schema_version()):
                await store._check_secret(fingerprint(), record=migrate)
        except BaseException:
            await store.close()
            raise
        return store

    def _where(self) -> str:
        return self.url.rsplit("@", 1)[-1]  # never the password

    async def _unlock(self, db: PgConnection) -> bool:
        """Bind the vault to the stored root key; False when there is none yet."""
        from bot.core.keyring import WrongSecret
        from bot.store import keyring

        row = await keyring.read(db)
        if row is None:
            return False
        try:
            self._sealer.unlock(row.wrapped)  # type: ignore[union-attr]
        except WrongSecret as exc:
            raise SecretMismatch(self._where()) from exc
        return True

    async def _unlock_only(self) -> None:
        """sebaya doctor: check the secret against the keyring without writing anything."""
        async with self._pool.acquire() as con:
            await self._unlock(self._connection(con))

    def _connection(self, con: asyncpg.Connection, transaction: bool = False) -> PgConnection:
        sealer = self._sealer
        return PgConnection(con, sealer.seal if sealer else None,
                            sealer.open if sealer else None, transaction)

    async def _check_secret(self, fingerprint: str, record: bool = True) -> None:
        """Refuse a secret that is not this database's; the first one is recorded."""
        async with self._pool.acquire() as con:
            if record:
                stored = await con.fetchval(
                    "INSERT INTO meta (key, value) VALUES ('secret_fingerprint', $1) "
                    "ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value",
                    fingerprint)
            else:
                stored = await con.fetchval(
                    "SELECT value FROM meta WHERE key = 'secret_fingerprint'") or fingerprint
        if stored != fingerprint:
            raise SecretMismatch(self._where())

    async def _check_secret_on(self, con: asyncpg.Connection) -> None:
        """Before the keyring exists: the stored fingerprint (if any) must be this secret's."""
        fingerprint = getattr(self._sealer, "fingerprint", None)
        if fingerprint is None or not await con.fetchval("SELECT to_regclass('meta') IS NOT NULL"):
            return
        stored = await con.fetchval("SELECT value FROM meta WHERE key = 'secret_fingerprint'")
        if stored is not None and stored != fingerprint():
            raise SecretMismatch(self._where())

    async def schema_version(self) -> int:
        async with self._pool.acquire() as con:
            exists = await con.fetchval("SELECT to_regclass('sebaya_schema') IS NOT NULL")
            if not exists:
                return 0
            return int(await con.fetchval("SELECT version FROM sebaya_schema"))

    async def migrate(self) -> int:
        """Apply newer migrations, each in its own transaction, under an advisory lock."""
        async with self._pool.acquire() as con:
            await con.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await con.execute("CREATE TABLE IF NOT EXISTS sebaya_schema "
                                  "(version integer NOT NULL)")
                current = await con.fetchval("SELECT version FROM sebaya_schema")
                if current is None:
                    await con.execute("INSERT INTO sebaya_schema VALUES (0)")
                    current = 0
                made_before = current > 0
                keyed = hasattr(self._sealer, "unlock")
                # before anything is sealed: the vault uses this database's root key
                if keyed and not await self._unlock(self._connection(con)) and made_before:
                    await self._check_secret_on(con)
                    self._sealer.use_legacy_root()  # type: ignore[union-attr]
                for number, _name, sql in migrations():
                    if number > current:
                        async with con.transaction():
                            await con.execute(sql)
                            for table, column in sealed_by(sql):
                                await _seal_column(con, self._sealer, table, column)
                            await con.execute("UPDATE sebaya_schema SET version = $1", number)
                        current = number
                if keyed:
                    from bot.store import keyring

                    async with con.transaction():
                        await keyring.ensure(self._connection(con), self._sealer, made_before,
                                             dt.datetime.now(dt.UTC))
            finally:
                await con.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return current

    @asynccontextmanager
    async def transaction(self, urgent: bool = False,
                          lane: int | None = None) -> AsyncIterator[PgConnection]:
        """A transaction on a pooled connection (crisis work on its own pool); tables it
        wrote are announced with NOTIFY when it commits."""
        pool = self._urgent if urgent else self._pool
        async with pool.acquire() as con:
            db = self._connection(con, transaction=True)
            try:
                yield db
            except BaseException:
                await db.settle()
                if db.begun and not con.is_closed():
                    with contextlib.suppress(Exception):  # a dead connection is discarded
                        await con.execute("ROLLBACK")
                raise
            await db.settle()
            if db.begun:  # NOTIFY and COMMIT in one round trip (table names: our own words)
                woke = ",".join(sorted(db.written & NOTIFIED))
                await con.execute((f"NOTIFY {CHANNEL}, '{woke}'; " if woke else "") + "COMMIT")

    @asynccontextmanager
    async def read(self, urgent: bool = False,
                   lane: int | None = None) -> AsyncIterator[PgConnection]:
        """A connection for reads only (each statement its own snapshot)."""
        pool = self._urgent if urgent else self._pool
        async with pool.acquire() as con:
            db = self._connection(con)
            try:
                yield db
            finally:
                await db.settle()

    async def lock_person(self, db: PgConnection, key: str) -> None:
        """Hold this person for the rest of the transaction, in every worker."""
        await db.advisory_xact_lock(*lock_key(PERSON_SPACE, key))

    async def try_lock_person(self, db: PgConnection, key: str) -> bool:
        """``lock_person`` if nobody holds the person now; False at once otherwise."""
        return await db.try_advisory_xact_lock(*lock_key(PERSON_SPACE, key))

    async def _drains_connection(self, urgent: bool) -> asyncpg.Connection:
        con = self._drains[urgent]
        if con is None or con.is_closed():
            con = self._drains[urgent] = await asyncpg.connect(self.url)
        return con

    async def try_lock_recipient(self, key: str, urgent: bool = False) -> bool:
        """Serve this recipient's queue in this worker only (per-recipient order across
        workers); crisis drains have locks of their own, as they overtake ordinary ones in
        one process. Held on one connection of this worker: its death frees them all."""
        return key in await self.try_lock_recipients([key], urgent)

    async def try_lock_recipients(self, keys: list[str], urgent: bool = False) -> set[str]:
        """``try_lock_recipient`` for many recipients in one round trip: those locked now."""
        if not keys:
            return set()
        space = RECIPIENT_SPACE[urgent]
        hashed = {lock_key(space, key)[1]: key for key in keys}
        async with self._drains_lock[urgent]:
            con = await self._drains_connection(urgent)
            rows = await con.fetch("SELECT k FROM unnest($2::int4[]) AS k "
                                   "WHERE pg_try_advisory_lock($1, k)", space, list(hashed))
        return {hashed[row[0]] for row in rows}

    async def unlock_recipient(self, key: str, urgent: bool = False) -> None:
        async with self._drains_lock[urgent]:
            con = self._drains[urgent]
            if con is not None and not con.is_closed():
                with contextlib.suppress(*UNAVAILABLE):
                    await con.fetchval("SELECT pg_advisory_unlock($1, $2)",
                                       *lock_key(RECIPIENT_SPACE[urgent], key))

    async def checkpoint(self) -> None:
        """Nothing to fold: PostgreSQL reclaims deleted rows with (auto)vacuum."""

    async def listen(self, on_notify: Callable[[set[str]], None]) -> None:
        """Call ``on_notify(tables)`` for each NOTIFY of another transaction (any worker)."""
        if self._listener is not None:
            return
        con = await asyncpg.connect(self.url)

        def received(_con: Any, _pid: int, _channel: str, payload: str) -> None:
            on_notify(set(payload.split(",")))

        await con.add_listener(CHANNEL, received)
        self._listener = con

    async def unlisten(self) -> None:
        """Stop listening (tests use this to lose every NOTIFY)."""
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def connect(self) -> asyncpg.Connection:
        """A connection of its own, outside the pools (singleton locks hold one)."""
        return await asyncpg.connect(self.url)

    async def close(self) -> None:
        await self.unlisten()
        for con in self._drains.values():
            if con is not None:
                with contextlib.suppress(Exception):
                    await con.close()
        for pool in (self._pool, self._urgent):
            with contextlib.suppress(Exception):
                await pool.close()
