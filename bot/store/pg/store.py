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
  (the database never sees the key). They run as the tables' owner (``migrate_url``:
  ``database.migrate_url`` / SEBAYA_MIGRATE_DATABASE_URL, else the application's URL), who
  then grants the application's role what it needs and no more (DML);
* **schools** (issue #19): a store is a view bound to one school. Every transaction of a view
  sets it first (``set_config('sebaya.school', …, true)``, in the round trip of ``BEGIN``), and
  row-level security (migration 008) scopes every statement to it; a read sets it on its
  connection's session (once: kept while the next reads are the same school's). The views of
  one process on one URL share the pools (``bot/store/pg/shared.py``); advisory lock keys and
  NOTIFY payloads carry the school; each school has its own root key (its keyring row).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg

from bot.errors import SebayaError
from bot.store.db import Overtaken, Sealer, SealingUnavailable, SecretMismatch
from bot.store.pg.conn import PgConnection
from bot.store.pg.shared import CHANNEL, REGISTRY, Shared, notify_payload
from bot.store.port import DEFAULT_SCHOOL

log = logging.getLogger("sebaya.store.pg")
NOTIFIED = frozenset({"inbox", "outbox", "timers"})
MIGRATION_LOCK = 0x5E8A_0001  # advisory lock ids: namespaced so they collide with nothing else
PERSON_SPACE = 0x5E8A_0002
RECIPIENT_SPACE = (0x5E8A_0004, 0x5E8A_0005)  # (ordinary drains, crisis drains)
SCHOOLS_MIGRATION = 8  # from here on every row has its school (migrations/008_schools.sql)
# A school's id: spelled into SQL literals (BEGIN's set_config, NOTIFY), so letters, digits
# and . _ - only
SCHOOL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
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


def scoped(school: str, name: str) -> str:
    """An advisory lock's name within a school: two schools' locks (a person, a recipient, a
    singleton) never exclude each other. The implicit school keeps the names it had before
    schools, so workers of both versions agree during an upgrade."""
    return name if school == DEFAULT_SCHOOL else f"{school}/{name}"


def school_id(school: str | None) -> str:
    """The school a view is bound to (None: the implicit single school)."""
    school = DEFAULT_SCHOOL if school is None else school
    if not SCHOOL_ID.fullmatch(school):
        raise SebayaError(f"school id {school!r}: letters, digits, '.', '_' and '-' only "
                          "(at most 63)")
    return school


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


async def _unforce(con: asyncpg.Connection) -> list[str]:
    """A migration after 008 changes every school's rows, not only those of the school whose
    view happens to migrate: inside its transaction the owner is let past the policies (NO
    FORCE; forced again before the commit, so no other session ever sees it unforced). Its
    INSERTs name the school of each row (the default is the migrating view's)."""
    tables = [r[0] for r in await con.fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind = 'r' AND relforcerowsecurity")]
    for table in tables:
        await con.execute(f"ALTER TABLE {_quoted(table)} NO FORCE ROW LEVEL SECURITY")
    return tables


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class PgStore:
    """PostgreSQL behind the store port (see bot/store/port.py): one school's view."""

    dialect = "postgres"
    several_workers = True
    unavailable = UNAVAILABLE
    conflicts = CONFLICTS

    def __init__(self, url: str, shared: Shared, sealer: Sealer | None,
                 school: str = DEFAULT_SCHOOL, migrate_url: str | None = None) -> None:
        self.url = url
        self.path = None
        self.school = school
        self._shared = shared
        self._sealer = sealer
        self._migrate_url = migrate_url
        self._on_notify: Callable[[set[str]], None] | None = None
        self._closed = False
        self._per_school = True  # the schema has schools (false only below migration 008)

    @classmethod
    async def open(cls, url: str, sealer: Sealer | None = None, pool_size: int = 10,
                   urgent_size: int = 2, migrate: bool = True, *, school: str | None = None,
                   migrate_url: str | None = None, school_share: float = 0.5) -> PgStore:
        """Connect (sharing this process's pools on ``url`` with the other schools' views),
        migrate (once, whoever starts first; as ``migrate_url``'s role when given) and check
        the installation secret. ``migrate=False`` (sebaya doctor) changes nothing: an unknown
        secret is only compared with the stored one."""
        bound = school_id(school)
        shared = await REGISTRY.join(url, bound, pool_size, urgent_size, school_share)
        store = cls(url, shared, sealer, bound, migrate_url)
        try:
            if migrate:
                await store.migrate()
            else:
                store._per_school = await store.schema_version() >= SCHOOLS_MIGRATION
                if hasattr(sealer, "unlock"):
                    await store._unlock_only()
            fingerprint = getattr(sealer, "fingerprint", None)
            if fingerprint is not None and (migrate or await store.schema_version()):
                await store._check_secret(fingerprint(), record=migrate)
        except BaseException:
            await store.close()
            raise
        return store

    def _where(self) -> str:
        where = self.url.rsplit("@", 1)[-1]  # never the password
        return where if self.school == DEFAULT_SCHOOL else f"{where} (school {self.school})"

    def lock_name(self, name: str) -> str:
        """``name`` as an advisory lock of this school (singletons, the running mark)."""
        return scoped(self.school, name)

    # -- the school on a connection -------------------------------------------------------------

    async def _session_school(self, con: asyncpg.Connection) -> None:
        """Set this school on the connection's session (reads: no transaction to set it in),
        unless its last read already did."""
        raw = getattr(con, "_con", con)  # the pool's proxy: the connection itself
        if _SESSION_SCHOOL.get(raw) != self.school:
            await con.execute("SELECT set_config('sebaya.school', $1, false)", self.school)
            _SESSION_SCHOOL[raw] = self.school

    @asynccontextmanager
    async def raw(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled asyncpg connection in a transaction of this school, below the sealing
        layer (tools that copy rows as stored; tests that look at what is stored)."""
        async with self._shared.pool.acquire() as con, con.transaction():
            await con.execute("SELECT set_config('sebaya.school', $1, true)", self.school)
            yield con

    async def _unlock(self, db: PgConnection) -> bool:
        """Bind the vault to the stored root key; False when there is none yet."""
        from bot.core.keyring import WrongSecret
        from bot.store import keyring

        row = await keyring.read(db)
        if row is None:
            return False
        try:
            self._sealer.unlock(row.wrapped, row.scheme)  # type: ignore[union-attr]
        except WrongSecret as exc:
            raise SecretMismatch(self._where()) from exc
        return True

    async def _unlock_only(self) -> None:
        """sebaya doctor: check the secret against the keyring without writing anything."""
        async with self.read() as db:
            await self._unlock(db)

    def _connection(self, con: asyncpg.Connection, transaction: bool = False) -> PgConnection:
        sealer = self._sealer
        return PgConnection(con, sealer.seal if sealer else None,
                            sealer.open if sealer else None, transaction, school=self.school,
                            per_school=self._per_school)

    async def _check_secret(self, fingerprint: str, record: bool = True) -> None:
        """Refuse a secret that is not this school's; the first one is recorded."""
        read = "SELECT value FROM meta WHERE key = 'secret_fingerprint'"
        if record:
            async with self.transaction() as db:
                await db.execute("INSERT OR IGNORE INTO meta (key, value) "
                                 "VALUES ('secret_fingerprint', ?)", (fingerprint,))
                row = await (await db.execute(read)).fetchone()
        else:
            async with self.read() as db:
                row = await (await db.execute(read)).fetchone()
        stored = row[0] if row else fingerprint
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
        async with self._shared.pool.acquire() as con:
            exists = await con.fetchval("SELECT to_regclass('sebaya_schema') IS NOT NULL")
            if not exists:
                return 0
            return int(await con.fetchval("SELECT version FROM sebaya_schema"))

    # -- migrations ---------------------------------------------------------------------------

    @asynccontextmanager
    async def _migrating(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection migrations run on: the owner's (``migrate_url``) of its own, else
        one of the pool's; its session is this school's (the owner is held to the policies
        too: FORCE ROW LEVEL SECURITY)."""
        if self._migrate_url is None:
            async with self._shared.pool.acquire() as con:
                await self._session_school(con)
                yield con
            return
        con = await asyncpg.connect(self._migrate_url)
        try:
            await con.execute("SELECT set_config('sebaya.school', $1, false)", self.school)
            migrating = await con.fetchval("SELECT current_database()")
            serving = await self._shared.pool.fetchval("SELECT current_database()")
            if migrating != serving:  # another database's owner: nothing is migrated
                raise SebayaError(
                    f"the migration URL (SEBAYA_MIGRATE_DATABASE_URL or database.migrate_url) "
                    f"names database {migrating}, the bot's URL {serving}: nothing migrated")
            yield con
        finally:
            with contextlib.suppress(Exception):
                await con.close()

    async def migrate(self) -> int:
        """Apply newer migrations, each in its own transaction, under an advisory lock; then
        fill this school's keyring row if it is empty."""
        keyed = hasattr(self._sealer, "unlock")
        try:
            async with self._migrating() as con:
                await con.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
                try:
                    current, made_before = await self._apply(con, keyed)
                    self._per_school = current >= SCHOOLS_MIGRATION
                finally:
                    await con.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        except asyncpg.InsufficientPrivilegeError as exc:
            raise SebayaError(
                f"migrating {self._where()} needs the owner of its tables: {exc}. Fix: set "
                "SEBAYA_MIGRATE_DATABASE_URL (or database.migrate_url) to the owner role's URL "
                "(docs/panduan-operator.md: PostgreSQL roles)") from exc
        if keyed:
            from bot.store import keyring

            # a school of its own has nothing from before envelope keys: a random root
            async with self.transaction() as db:
                await keyring.ensure(db, self._sealer, made_before and self._first_school(),
                                     dt.datetime.now(dt.UTC))
        return current

    def _first_school(self) -> bool:
        """The implicit school: the one a database made before schools belongs to."""
        return self.school == DEFAULT_SCHOOL

    async def _apply(self, con: asyncpg.Connection, keyed: bool) -> tuple[int, bool]:
        current = None
        if await con.fetchval("SELECT to_regclass('sebaya_schema') IS NOT NULL"):
            current = await con.fetchval("SELECT version FROM sebaya_schema")
        if current is None:
            await con.execute("CREATE TABLE IF NOT EXISTS sebaya_schema "
                              "(version integer NOT NULL)")
            await con.execute("INSERT INTO sebaya_schema VALUES (0)")
            current = 0
        made_before = current > 0
        # before anything is sealed: the vault uses this database's root key
        if keyed and self._first_school() and made_before and \
                not await self._unlock(self._connection(con)):
            await self._check_secret_on(con)
            self._sealer.use_legacy_root()  # type: ignore[union-attr]
        applied = False
        for number, _name, sql in migrations():
            if number > current:
                async with con.transaction():
                    unforced = await _unforce(con) if number > SCHOOLS_MIGRATION else []
                    await con.execute(sql)
                    for table, column in sealed_by(sql):
                        if number > SCHOOLS_MIGRATION:  # each school's rows, each one's key
                            raise NotImplementedError("sealing a column after migration 008 "
                                                      "must seal every school's rows")
                        await _seal_column(con, self._sealer, table, column)
                    for table in unforced:
                        await con.execute(f"ALTER TABLE IF EXISTS {_quoted(table)} "
                                          "FORCE ROW LEVEL SECURITY")
                    await con.execute("UPDATE sebaya_schema SET version = $1", number)
                current, applied = number, True
        if self._migrate_url is not None:
            await self._grant(con, applied)
        return current, made_before

    async def _grant(self, con: asyncpg.Connection, applied: bool) -> None:
        """The owner gives the application's role (the URL the pools use) rows, not tables:
        SELECT, INSERT, UPDATE, DELETE on every table (the migrations' bookkeeping: SELECT)
        and the identities' sequences; no DDL, no TRUNCATE, no way around the policies."""
        app = await self._shared.pool.fetchval("SELECT current_user")
        owner, schema = await con.fetchrow("SELECT current_user, current_schema()")
        if app == owner or (not applied and await con.fetchval(
                "SELECT has_table_privilege($1, 'sebaya_schema', 'SELECT')", app)):
            return
        role, where = _quoted(app), _quoted(schema)
        await con.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {role}; "
            f"REVOKE INSERT, UPDATE, DELETE ON sebaya_schema FROM {role}; "
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {role}")

    # -- transactions ---------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self, urgent: bool = False,
                          lane: int | None = None) -> AsyncIterator[PgConnection]:
        """A transaction of this school on a pooled connection (crisis work on its own pool;
        at most the school's share of either while schools share them; ordinary event
        handling, ``lane`` None, never the flow lane's reserve); tables it inserted into are
        announced with NOTIFY when it commits."""
        pool = self._shared.urgent if urgent else self._shared.pool
        async with self._shared.hold(self.school, urgent, lane), pool.acquire() as con:
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
            if db.begun:  # NOTIFY and COMMIT in one round trip (school and tables: our words)
                woke = ",".join(sorted((db.written & NOTIFIED) | db.announced))
                payload = notify_payload(self.school, woke)
                await con.execute((f"NOTIFY {CHANNEL}, '{payload}'; " if woke else "")
                                  + "COMMIT")

    @asynccontextmanager
    async def read(self, urgent: bool = False,
                   lane: int | None = None) -> AsyncIterator[PgConnection]:
        """A connection for reads only (each statement its own snapshot), this school's."""
        pool = self._shared.urgent if urgent else self._shared.pool
        async with self._shared.hold(self.school, urgent, lane), pool.acquire() as con:
            await self._session_school(con)
            db = self._connection(con)
            try:
                yield db
            finally:
                await db.settle()

    async def lock_person(self, db: PgConnection, key: str) -> None:
        """Hold this person for the rest of the transaction, in every worker."""
        await db.advisory_xact_lock(*lock_key(PERSON_SPACE, scoped(self.school, key)))

    async def try_lock_person(self, db: PgConnection, key: str) -> bool:
        """``lock_person`` if nobody holds the person now; False at once otherwise."""
        return await db.try_advisory_xact_lock(*lock_key(PERSON_SPACE,
                                                         scoped(self.school, key)))

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
        hashed = {lock_key(space, scoped(self.school, key))[1]: key for key in keys}
        async with self._shared.drains_lock[urgent]:
            con = await self._shared.drains_connection(urgent)
            rows = await con.fetch("SELECT k FROM unnest($2::int4[]) AS k "
                                   "WHERE pg_try_advisory_lock($1, k)", space, list(hashed))
        return {hashed[row[0]] for row in rows}

    async def unlock_recipient(self, key: str, urgent: bool = False) -> None:
        async with self._shared.drains_lock[urgent]:
            con = self._shared.drains[urgent]
            if con is not None and not con.is_closed():
                with contextlib.suppress(*UNAVAILABLE):
                    await con.fetchval("SELECT pg_advisory_unlock($1, $2)",
                                       *lock_key(RECIPIENT_SPACE[urgent],
                                                 scoped(self.school, key)))

    async def announce(self, word: str) -> None:
        """Tell every worker's listener ``word`` (a NOTIFY of its own, on the crisis pool:
        ``calm`` once this worker's crisis work is done)."""
        async with self._shared.hold(self.school, True, None), \
                self._shared.urgent.acquire() as con:
            await con.execute("SELECT pg_notify($1, $2)", CHANNEL,
                              notify_payload(self.school, word))

    async def checkpoint(self) -> None:
        """Nothing to fold: PostgreSQL reclaims deleted rows with (auto)vacuum."""

    async def listen(self, on_notify: Callable[[set[str]], None]) -> None:
        """Call ``on_notify(tables)`` for each NOTIFY of another transaction (any worker) of
        this school: the process's one LISTEN connection hands each school its own."""
        if self._on_notify is not None:
            return
        self._on_notify = on_notify
        await self._shared.listen(self.school, on_notify)

    async def unlisten(self) -> None:
        """Stop listening (tests use this to lose every NOTIFY)."""
        on_notify, self._on_notify = self._on_notify, None
        if on_notify is not None:
            await self._shared.unlisten(self.school, on_notify)

    @property
    def locks(self) -> Any:
        """The process's session-lock connection (running marks, singletons: ``Locks``)."""
        return self._shared.locks

    async def connect(self) -> asyncpg.Connection:
        """A connection of its own, outside the pools (a command that must run alone)."""
        return await asyncpg.connect(self.url)

    async def close(self) -> None:
        """Close this view; the shared pools close with the process's last view on them."""
        if self._closed:
            return
        self._closed = True
        await self.unlisten()
        await REGISTRY.leave(self._shared, self.school)


# the school each pooled connection's session was last set to (by a read)
_SESSION_SCHOOL: WeakKeyDictionary[Any, str] = WeakKeyDictionary()
