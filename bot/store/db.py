"""The SQLite connection: WAL, synchronous=NORMAL, one writer, numbered migrations.

All access goes through ``Store.transaction()``, which serialises on one asyncio lock and runs
``BEGIN IMMEDIATE`` .. ``COMMIT`` (or ROLLBACK on any exception): an event's whole effect lands
at once or not at all.

What students wrote is sealed at rest (transcripts, intake stories, notes, survey comments,
conversation variables): queries call the SQL functions ``seal(text)`` and ``unseal(blob)``,
which this module registers on the connection with the installation's sealing key. The file and
its folder are created readable by the owner only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from bot.errors import SebayaError

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_WIDEN = re.compile(r"^-- @widen (\w+): (.+?) -> (.+)$", re.M)


class MigrationError(SebayaError):
    """A migration does not fit this database (its schema is not what the migration expects)."""


def ts(moment: dt.datetime) -> str:
    """Timestamps are stored as fixed-width UTC ISO text so they sort and compare as text."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


async def fetch_one(db: aiosqlite.Connection, sql: str, args: Any = ()) -> aiosqlite.Row | None:
    """One row in a single round trip to the database thread (execute + fetch + close)."""
    rows = await db.execute_fetchall(sql, args)
    return rows[0] if rows else None


async def fetch_all(db: aiosqlite.Connection, sql: str, args: Any = ()) -> list[aiosqlite.Row]:
    """All rows in a single round trip to the database thread."""
    return list(await db.execute_fetchall(sql, args))


async def sqlite_has_table(db: aiosqlite.Connection, name: str) -> bool:
    return await fetch_one(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (name,)) is not None


def migrations() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of every shipped migration, in order."""
    found = []
    for entry in resources.files("bot.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _widened(db: aiosqlite.Connection, sql: str) -> tuple[str, bool]:
    """Expand each ``-- @widen TABLE: OLD -> NEW`` line of a migration: TABLE is rebuilt from
    its definition as it is now, with OLD replaced by NEW (a CHECK loosened: SQLite cannot
    alter one), so every column survives whichever migration added it, with its rows and
    indexes. A table that already has NEW is left alone. Returns the SQL and whether it
    rebuilds anything."""
    steps: list[str] = []
    for match in _WIDEN.finditer(sql):
        table, old, new = match.groups()
        row = await fetch_one(db, "SELECT sql FROM sqlite_master WHERE type = 'table' "
                              "AND name = ?", (table,))
        if row is None:
            raise MigrationError(f"@widen: no table {table}")
        definition = str(row[0])
        if new in definition:
            continue
        if old not in definition:
            raise MigrationError(f"@widen {table}: {old!r} is not in its definition")
        created = re.sub(rf'^CREATE TABLE\s+"?{table}"?', f"CREATE TABLE {table}__new",
                         definition.replace(old, new, 1), count=1)
        indexes = [str(r[0]) for r in await fetch_all(
            db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (table,))]
        steps += [f"{created};", f"INSERT INTO {table}__new SELECT * FROM {table};",
                  f"DROP TABLE {table};", f"ALTER TABLE {table}__new RENAME TO {table};",
                  *(f"{index};" for index in indexes)]
    return _WIDEN.sub("", sql) + "\n" + "\n".join(steps), bool(steps)


LANE_CRISIS, LANE_FLOW, LANE_ORDINARY = 0, 1, 2


class PriorityLock:
    """A FIFO lock with lanes: crisis work first, then what keeps messages flowing (committing
    a polled batch, outbox bookkeeping), then ordinary event handling. Crisis work never queues
    behind bulk traffic, and a backlog of events never stalls polling or sending."""

    def __init__(self) -> None:
        self._locked = False
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._seq = itertools.count()

    async def acquire(self, urgent: bool = False, lane: int | None = None) -> None:
        if not self._locked and not self._waiters:
            self._locked = True
            return
        future = asyncio.get_running_loop().create_future()
        lane = LANE_CRISIS if urgent else LANE_ORDINARY if lane is None else lane
        entry = (lane, next(self._seq), future)
        heapq.heappush(self._waiters, entry)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # we were handed the lock as we were cancelled: pass it on
            elif entry in self._waiters:  # release() may already have skipped it
                self._waiters.remove(entry)
                heapq.heapify(self._waiters)
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # ownership passes directly to the next waiter
                return
        self._locked = False

    def locked(self) -> bool:
        return self._locked


class Sealer(Protocol):
    """What seals stories at rest (bot.core.identity.IdentityVault fits)."""

    def seal(self, plaintext: str) -> bytes: ...

    def open(self, token: bytes) -> str: ...


class Overtaken(Exception):
    """A decision made from what this transaction read lost to another worker's commit (the
    last group seat went meanwhile): the transaction is run again, and decides afresh from
    what is committed now. Only PostgreSQL, where several workers decide at once, counts it as
    a conflict (``PgStore.conflicts``); SQLite's single writer cannot be overtaken."""


class SealingUnavailable(Exception):
    """Sealed data was read or written on a store opened without the installation secret."""


class SecretMismatch(SebayaError):
    """The database was created with another installation secret."""

    def __init__(self, path: Path | str) -> None:
        saved = f"{path.name}.secret" if isinstance(path, Path) else "the secret file"
        super().__init__(
            f"{path} was created with another installation secret; nothing was started. "
            f"Fix: use the secret this database was made with (unset SEBAYA_SECRET if you set "
            f"it after the first run, or restore {saved} from your backup; after sebaya "
            f"secret rotate, the new secret; a restored old backup needs the secret of its "
            f"day)")


async def _register_sealing(db: aiosqlite.Connection, sealer: Sealer | None) -> None:
    def seal(value: Any) -> bytes | None:
        if value is None:
            return None
        if sealer is None:
            raise SealingUnavailable("sealing needs the installation secret")
        return sealer.seal(str(value))

    def unseal(value: Any) -> str | None:
        if value is None or isinstance(value, str):  # NULL, or written before sealing
            return value
        if sealer is None:
            raise SealingUnavailable("unsealing needs the installation secret")
        return sealer.open(bytes(value))

    await db.create_function("seal", 1, seal)
    await db.create_function("unseal", 1, unseal)


def _private(path: Path) -> None:
    """A new database folder is 0700, the database file 0600 (SQLite gives its -wal and -shm
    files the database file's permissions)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


class Store:
    """One aiosqlite connection used as the single writer (the SQLite side of
    bot/store/port.py)."""

    dialect = "sqlite"
    several_workers = False  # one process owns the file
    unavailable: tuple[type[BaseException], ...] = ()
    conflicts: tuple[type[BaseException], ...] = ()  # one writer: transactions never conflict

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self._lock = PriorityLock()

    @classmethod
    async def open(cls, path: str | Path, sealer: Sealer | None = None) -> Store:
        """Open (creating it private) and migrate. ``sealer`` is needed by everything that
        reads or writes what students wrote; operator tools that only count may omit it."""
        path = Path(path)
        if str(path) != ":memory:":
            _private(path)
        db = await aiosqlite.connect(path, isolation_level=None)
        await _register_sealing(db, sealer)
        db.row_factory = aiosqlite.Row
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=5000",
            "secure_delete=ON",  # deleted text is overwritten, not left in free pages
        ):
            await db.execute(f"PRAGMA {pragma}")
        store = cls(db, path)
        fingerprint = getattr(sealer, "fingerprint", None)
        keyed = hasattr(sealer, "unlock")
        try:
            made_before = await store.schema_version() > 0
            # before anything is sealed: the root key opens (or, before migration 018, the
            # fingerprint matches), and the vault uses this database's root
            if not (keyed and await store._unlock(sealer)) and fingerprint is not None:
                await store._check_secret(sealer, fingerprint())
                if keyed and made_before:
                    sealer.use_legacy_root()
            await store.migrate()
            if keyed:
                await store._ensure_keyring(sealer, legacy=made_before)
            if fingerprint is not None:
                await db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES "
                                 "('secret_fingerprint', ?)", (fingerprint(),))
        except BaseException:
            await db.close()
            raise
        return store

    async def _unlock(self, sealer: Any) -> bool:
        """Bind the vault to the stored root key: False when there is none yet (a database
        from before migration 018, or a new one); SecretMismatch when the secret does not
        open it."""
        from bot.core.keyring import WrongSecret
        from bot.store import keyring

        row = await keyring.read(self.db)
        if row is None:
            return False
        try:
            sealer.unlock(row.wrapped, row.scheme)
        except WrongSecret as exc:
            raise SecretMismatch(self.path) from exc
        return True

    async def _ensure_keyring(self, sealer: Any, legacy: bool) -> None:
        from bot.store import keyring

        async with self.transaction() as db:
            await keyring.ensure(db, sealer, legacy, dt.datetime.now(dt.UTC))

    async def _check_secret(self, sealer: Sealer, fingerprint: str) -> None:
        """Refuse a secret that is not this database's: by its stored fingerprint, or (an
        older database) by opening one sealed address."""
        tables = {r[0] for r in await self.db.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables:
            row = await self.db.execute_fetchall(
                "SELECT value FROM meta WHERE key = 'secret_fingerprint'")
            if row:
                if row[0][0] != fingerprint:
                    raise SecretMismatch(self.path)
                return
        if "users" in tables:
            row = await self.db.execute_fetchall("SELECT address FROM users LIMIT 1")
            if row:
                try:
                    sealer.open(bytes(row[0][0]))
                except Exception as exc:
                    raise SecretMismatch(self.path) from exc

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def migrate(self) -> int:
        """Apply migrations newer than ``PRAGMA user_version``, each in its own transaction.
        A migration that rebuilds a table (``-- @widen``) runs with foreign keys off, as
        SQLite's own procedure says, and is checked with ``foreign_key_check`` after."""
        current = await self.schema_version()
        for number, _name, sql in migrations():
            if number > current:
                script, rebuilds = await _widened(self.db, sql)
                if rebuilds:  # dropping a referenced table would cascade: off meanwhile
                    await self.db.execute("PRAGMA foreign_keys = OFF")
                try:
                    await self.db.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                    )
                finally:
                    if rebuilds:
                        await self.db.execute("PRAGMA foreign_keys = ON")
                if rebuilds and await fetch_all(self.db, "PRAGMA foreign_key_check"):
                    raise MigrationError(f"migration {number} left broken references")
                current = number
        return current

    @asynccontextmanager
    async def transaction(self, urgent: bool = False,
                          lane: int | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive write transaction; commits on success, rolls back on any exception.
        ``urgent`` (a crisis) goes ahead of every transaction still waiting; ``lane``
        LANE_FLOW (intake, outbox) goes ahead of ordinary event handling."""
        await self._lock.acquire(urgent, lane)
        try:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")
        finally:
            self._lock.release()

    @asynccontextmanager
    async def read(self, urgent: bool = False,
                   lane: int | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """Exclusive use of the connection for reads only: no BEGIN/COMMIT round trips (each
        SELECT is its own consistent snapshot in autocommit mode)."""
        await self._lock.acquire(urgent, lane)
        try:
            yield self.db
        finally:
            self._lock.release()

    async def lock_person(self, db: aiosqlite.Connection, key: str) -> None:
        """One writer, one process: the dispatcher's per-person asyncio lock is enough."""

    async def try_lock_person(self, db: aiosqlite.Connection, key: str) -> bool:
        """Nobody else can hold a person here: always True."""
        return True

    async def listen(self, on_notify) -> None:
        """Nothing to listen to: every writer is in this process and wakes its loops."""

    async def checkpoint(self) -> None:
        """Fold the WAL into the database file and empty it (after a purge: no old copies)."""
        await self._lock.acquire()
        try:
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._lock.release()

    async def close(self) -> None:
        await self._lock.acquire()
        try:
            await self.db.close()
        finally:
            self._lock.release()
