"""One asyncpg connection, seen by the store's query modules as SQLite's connection is.

The query modules call ``execute`` (a cursor with ``rowcount``, ``lastrowid``, ``fetchone``,
``fetchall``; also usable as ``async with``), ``execute_fetchall`` and ``executemany``. Rows are
asyncpg ``Record``s, which, like ``aiosqlite.Row``, are read by name or by position.

Statements are translated once (``bot/store/pg/sql.py``); their parameter types are learnt
once per process, and executions go through asyncpg's per-connection statement cache (one round
trip each: preparing every statement anew halved the e2e bench's throughput). Arguments are
fitted to the parameter types PostgreSQL inferred, where SQLite's looser typing let the callers
be loose (``True`` for an integer, ``0`` for a boolean, an int for text). Calls are serialised
on the connection: the dispatcher gathers independent statements (SQLite's thread runs them in
order; asyncpg refuses overlapping calls).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import asyncpg

from bot.store.db import SealingUnavailable
from bot.store.pg.sql import Translated, translate

_SHAPES: dict[str, tuple[list[str], bool]] = {}  # translated SQL -> (parameter types, rows?)


def _fit(value: Any, type_name: str) -> Any:
    """A value as the parameter's PostgreSQL type expects it."""
    if value is None:
        return None
    if type_name in ("int2", "int4", "int8"):
        return int(value) if isinstance(value, bool | str) else value
    if type_name == "bool":
        return bool(value) if isinstance(value, int) else value
    if type_name in ("text", "varchar", "name", "json"):
        return value if isinstance(value, str) else str(value)
    if type_name == "bytea" and isinstance(value, str):
        return value.encode()
    return value


def _rowcount(status: str | None) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1") as a row count."""
    if not status:
        return -1
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgCursor:
    """The result of one statement, shaped like sqlite3's cursor."""

    def __init__(self, rows: list, rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list:
        return list(self._rows)

    async def close(self) -> None:
        return None


class _Pending:
    """``await db.execute(...)`` and ``async with db.execute(...) as cursor`` both work."""

    def __init__(self, run) -> None:
        self._run = run

    def __await__(self):
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run()

    async def __aexit__(self, *_exc: object) -> None:
        return None


class PgConnection:
    """The store's view of one PostgreSQL connection inside a transaction (or a read)."""

    dialect = "postgres"

    def __init__(self, con: asyncpg.Connection, seal: Callable[[str], bytes] | None,
                 open_: Callable[[bytes], str] | None, transaction: bool = False,
                 school: str = "default", per_school: bool = True) -> None:
        self.con = con
        self.per_school = per_school  # the schema has schools (migration 008)
        self.school = school  # a checked id (bot/store/pg/store.py): safe to spell out
        self._seal = seal
        self._open = open_
        self._lock = asyncio.Lock()
        self.written: set[str] = set()  # tables inserted into here (NOTIFY at commit)
        self.announced: set[str] = set()  # other words for the NOTIFY at commit ("urgent")
        self._done = False
        # a transaction begins with its first statement: BEGIN and the school go in the same
        # round trip as a first advisory lock (an event's, a timer's), else just before it
        self._to_begin = transaction
        self.begun = False

    async def _begin(self, with_statement: str = "") -> bool:
        """Open the transaction if it is not yet (``with_statement``: a simple statement sent
        in the same round trip); True if the statement was sent with it."""
        if not self._to_begin:
            return False
        self._to_begin = False
        self.begun = True  # row-level security scopes every statement to the school
        await self.con.execute(f"BEGIN; SELECT set_config('sebaya.school', '{self.school}', "
                               "true)" + (f"; {with_statement}" if with_statement else ""))
        return bool(with_statement)

    def announce(self, word: str) -> None:
        """Say ``word`` to the other workers with this transaction's NOTIFY (a crisis was
        committed: ``urgent``, bot/runtime/urgency.py)."""
        self.announced.add(word)

    def quiet(self, table: str) -> None:
        """No NOTIFY for what was inserted into ``table``: nobody else needs to know."""
        self.written.discard(table)

    async def settle(self) -> None:
        """Wait for the statement in flight (a gather may leave some running when another
        failed), then refuse more: the transaction is ending."""
        async with self._lock:
            self._done = True

    # -- the aiosqlite surface the query modules use -----------------------------------------

    def execute(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> _Pending:
        return _Pending(lambda: self._execute(sql, args))

    async def execute_fetchall(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()
                               ) -> list:
        return (await self._execute(sql, args))._rows

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any] | dict[str, Any]]
                          ) -> PgCursor:
        """Inserts go in one pipelined call; updates and deletes one by one, so the cursor's
        rowcount is the total, as SQLite's is."""
        query = translate(sql, self.per_school)
        total = 0
        async with self._lock:
            if self._done:
                raise asyncpg.InterfaceError("the transaction has ended")
            await self._begin()
            types, _ = await self._shape(query.sql)
            batch = [self._arguments(query, args, types) for args in rows]
            if batch and sql.lstrip()[:6].upper() == "INSERT":
                await self.con.executemany(query.sql, batch)
                total = -1
            for args in batch if total == 0 else ():
                total += max(_rowcount(await self.con.execute(query.sql, *args)), 0)
        self.written |= query.tables
        return PgCursor([], total, None)

    async def advisory_xact_lock(self, space: int, key: int) -> None:
        """Wait for, then hold until this transaction ends, the advisory lock (space, key)."""
        async with self._lock:
            if self._done:
                raise asyncpg.InterfaceError("the transaction has ended")
            statement = f"SELECT pg_advisory_xact_lock({int(space)}, {int(key)})"
            if not await self._begin(statement):  # integers only: safe to spell out
                await self.con.execute(statement)

    async def try_advisory_xact_lock(self, space: int, key: int) -> bool:
        """Take the advisory lock (space, key) until this transaction ends if it is free."""
        async with self._lock:
            if self._done:
                raise asyncpg.InterfaceError("the transaction has ended")
            await self._begin()
            return bool(await self.con.fetchval("SELECT pg_try_advisory_xact_lock($1, $2)",
                                                space, key))

    async def executescript(self, script: str) -> None:
        async with self._lock:
            await self._begin()
            await self.con.execute(script)

    # -- internals ----------------------------------------------------------------------------

    async def _execute(self, sql: str, args: Sequence[Any] | dict[str, Any]) -> PgCursor:
        query = translate(sql, self.per_school)
        async with self._lock:
            if self._done:
                raise asyncpg.InterfaceError("the transaction has ended")
            await self._begin()
            types, returns_rows = await self._shape(query.sql)
            arguments = self._arguments(query, args, types)
            if returns_rows:  # asyncpg's statement cache: one round trip per statement
                rows = await self.con.fetch(query.sql, *arguments)
                status = f"SELECT {len(rows)}"
            else:
                rows, status = [], await self.con.execute(query.sql, *arguments)
        self.written |= query.tables
        if query.opened:
            rows = [self._opened(query, row) for row in rows]
        if query.returns_id:
            return PgCursor([], len(rows), rows[0]["id"] if rows else None)
        return PgCursor(rows, _rowcount(status), None)

    async def _shape(self, sql: str) -> tuple[list[str], bool]:
        """(parameter type names, whether it returns rows) of a statement: learnt once per
        process by preparing it (types do not depend on the connection); executions then go
        through asyncpg's per-connection statement cache."""
        shape = _SHAPES.get(sql)
        if shape is None:
            statement = await self.con.prepare(sql)
            shape = ([t.name for t in statement.get_parameters()],
                     bool(statement.get_attributes()))
            _SHAPES[sql] = shape
        return shape

    def _arguments(self, query: Translated, args: Sequence[Any] | dict[str, Any],
                   types: list[str]) -> list[Any]:
        out = []
        for n, source in enumerate(query.order, start=1):
            value = args[source]  # type: ignore[index]
            if n in query.sealed and value is not None:
                if self._seal is None:
                    raise SealingUnavailable("sealing needs the installation secret")
                value = self._seal(str(value))
            out.append(_fit(value, types[n - 1]))
        return out

    def _opened(self, query: Translated, row: asyncpg.Record) -> _Row:
        values = dict(row.items())
        for column, field in query.opened:
            value = values.get(column)
            if value is None or isinstance(value, str):
                continue
            if self._open is None:
                raise SealingUnavailable("unsealing needs the installation secret")
            text = self._open(bytes(value))
            if field is not None:
                text = json.loads(text).get(field)
            values[column] = text
        return _Row(values)


class _Row:
    """A row whose sealed columns were opened: read by name or by position and unpacked
    like a Record (or sqlite3.Row)."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        self._names = list(values)
        self._values = list(values.values())

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int | slice):
            return self._values[key]
        return self._values[self._names.index(key)]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._names else default
