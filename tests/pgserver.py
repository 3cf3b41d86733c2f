"""A real PostgreSQL for the tests, started from the Debian binaries.

``initdb`` refuses to run as root, so when the tests run as root the cluster is created and
started as the ``postgres`` user (``runuser``) in a temporary directory, listening on loopback
only, with fsync off (a test cluster needs no durability). One cluster serves a whole test
session; each test gets a fresh database in it (``fresh_database``).

Roles, as production has them (docs/panduan-operator.md, "PostgreSQL roles"): the cluster's
superuser only administers (creates, empties and drops databases); every database is owned by
``sebaya_owner``, who migrates (not a superuser: row-level security holds it too); the bot
connects as ``sebaya_app``, who may read and write rows and nothing else (``app_url``).

When no PostgreSQL can be started the PostgreSQL tests skip with the reason, except in CI
(``CI=true``), where they fail: a CI that silently skipped them would look green.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

OWNER, APP = "sebaya_owner", "sebaya_app"  # the tables' owner; the bot's role (DML only)
BIN_DIRS = (os.environ.get("SEBAYA_PG_BIN", ""), "/usr/lib/postgresql/15/bin",
            "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


class Unavailable(Exception):
    """PostgreSQL could not be started here (the reason is the message)."""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_bin() -> Path:
    for folder in BIN_DIRS:
        if folder and (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise Unavailable("no PostgreSQL binaries (apt-get install postgresql, or set SEBAYA_PG_BIN)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    """A running throwaway cluster; ``url(dbname)`` addresses a database in it."""

    bin: Path
    root: Path
    port: int
    user: str
    as_postgres: bool
    _kept: str | None = None  # the reusable migrated database (migrated_database)
    _kept_schema: str = ""

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    @classmethod
    def start(cls) -> PgServer:
        bindir = find_bin()
        as_postgres = os.geteuid() == 0
        if as_postgres and shutil.which("runuser") is None:
            raise Unavailable("running as root without runuser: initdb refuses root")
        root = Path(tempfile.mkdtemp(prefix="sebaya-pg-"))
        os.chmod(root, 0o755)
        server = cls(bindir, root, _free_port(), "postgres" if as_postgres else
                     os.environ.get("USER", "postgres"), as_postgres)
        data = root / "data"
        if as_postgres:
            shutil.chown(root, "postgres")
        try:
            server._run(str(bindir / "initdb"), "-D", str(data), "-U", server.user,
                        "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync")
            with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {server.port}\n"
                           f"unix_socket_directories = '{root}'\nfsync = off\n"
                           "synchronous_commit = off\nfull_page_writes = off\n"
                           "max_connections = 200\n")
            server._start_on_a_free_port()
            server.psql(f"CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOBYPASSRLS; "
                        f"CREATE ROLE {APP} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            log = root / "log"
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            shutil.rmtree(root, ignore_errors=True)
            raise Unavailable(f"PostgreSQL did not start: {detail.strip()}") from exc
        return server

    def _start_on_a_free_port(self) -> None:
        """Start; if another process (a parallel test worker) took the port between choosing
        and binding it, choose again (a later ``port`` line in postgresql.conf wins)."""
        for attempt in range(3):
            try:
                self._pg_ctl("start")
                return
            except subprocess.CalledProcessError:
                log = self.root / "log"
                taken = log.exists() and "already in use" in log.read_text(errors="replace")
                if not taken or attempt == 2:
                    raise
                self.port = _free_port()
                with open(self.root / "data" / "postgresql.conf", "a", encoding="utf-8") as conf:
                    conf.write(f"port = {self.port}\n")
                log.unlink()

    def url(self, dbname: str = "postgres", role: str | None = None) -> str:
        """A database's URL as ``role`` (default: the cluster's superuser)."""
        return f"postgresql://{role or self.user}@127.0.0.1:{self.port}/{dbname}"

    def admin_url(self, url: str) -> str:
        """The superuser's URL of a database given by any role's URL."""
        return self.url(url.rsplit("/", 1)[-1])

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        result = self._run(str(self.bin / "psql"), "-X", "-q", "-t", "-A", "-h", "127.0.0.1",
                           "-p", str(self.port), "-U", self.user, "-d", dbname, "-c", sql)
        return result.stdout.strip()

    def fresh_database(self) -> str:
        """A new empty database owned by ``sebaya_owner``; returns the owner's URL (opening
        a store with it migrates as the owner, the single-role layout)."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name} OWNER {OWNER}")
        return self.url(name, OWNER)

    def migrated_database(self) -> str:
        """An empty database at the latest schema, as ``sebaya migrate`` leaves a fresh one
        (migrated by the owner); returns the application role's URL (``owner_url`` gives the
        owner's, for migrating).

        Creating a database and migrating it costs about half a second, so each cluster (one
        per test process) keeps one and empties it for the next test instead: every other
        connection to it is ended (their advisory locks and LISTENs go with them), every table
        but ``sebaya_schema`` is truncated and every sequence restarted. The schema is compared
        with the one just after migrating (tables, columns, constraints, indexes, functions,
        triggers, views, schemas, settings, version); a test that changed any of it gets its
        database dropped and the next test a newly made one. If migrating leaves rows anywhere,
        nothing is reused and every test gets a new database.
        """
        if self._kept is not None:
            if _run_async(_reset(self.admin_url(self._kept), self._kept_schema)):
                return self._kept
            self.drop_database(self._kept)
            self._kept = None
        url = app_url(self.fresh_database())
        schema, empty = _run_async(_migrate(url, self.admin_url(url)))
        if empty:
            self._kept, self._kept_schema = url, schema
        return url

    def release(self, url: str) -> None:
        """Done with a database from ``migrated_database``: dropped unless it is the kept one
        (that one is checked and emptied when next asked for)."""
        if url != self._kept:
            self.drop_database(url)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[-1]
        with contextlib.suppress(subprocess.CalledProcessError):
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _pg_ctl(self, action: str, mode: str = "fast", check: bool = True) -> None:
        data = str(self.root / "data")
        if action == "start":
            self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", str(self.root / "log"), "-w",
                      "start", check=check)
        else:
            self._run(str(self.bin / "pg_ctl"), "-D", data, "-m", mode, "-w", "stop",
                      check=check)

    def restart(self) -> None:
        """Stop (fast: connections are cut) and start again, as a database restart would."""
        self._pg_ctl("stop")
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop", mode="immediate", check=False)
        for _ in range(50):
            if not (self.root / "data" / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)


def as_role(url: str, role: str) -> str:
    """The same database's URL as another role of the tests' cluster."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[-1]}"


def owner_url(url: str) -> str:
    """The owner's URL of a test database (migrations, schema changes)."""
    return as_role(url, OWNER)


def app_url(url: str) -> str:
    """The application role's URL of a test database (rows only)."""
    return as_role(url, APP)


# -- the reusable migrated database -----------------------------------------------------------

_SCHEMA = """
SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), '')) FROM (
  SELECT 'rls ' || relname || ' ' || relrowsecurity::text || relforcerowsecurity::text AS item
    FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
  UNION ALL SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' '
         || coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies
    WHERE schemaname = 'public'
  UNION ALL SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
    FROM information_schema.role_table_grants WHERE table_schema = 'public'
  UNION ALL SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
         || coalesce(column_default, '') || ' ' || is_nullable
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'table ' || c.relname || ' ' || c.relkind::text FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' '
         || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'function ' || p.oid::regprocedure || ' ' || md5(p.prosrc) FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text
    FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'view ' || viewname || ' ' || md5(definition) FROM pg_views
    WHERE schemaname = 'public'
  UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
    WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
  UNION ALL SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL SELECT 'version ' || version FROM sebaya_schema
) AS everything
"""
_TABLES = ("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
           "AND tablename <> 'sebaya_schema'")
_SEQUENCES = "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'"


def _run_async(coroutine):
    """Run a coroutine to completion from synchronous fixture code (in a thread of its own:
    an event loop may already be running in this one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _migrate(url: str, admin: str) -> tuple[str, bool]:
    """Migrate a new database as the App would (as the owner; the application's role at
    ``url`` is granted its rows); its schema and whether every table is empty (asked as the
    superuser, whom row-level security does not hide rows from)."""
    import asyncpg

    from bot.store.pg.store import PgStore

    # no sealer: an empty database has nothing to seal
    store = await PgStore.open(url, migrate_url=owner_url(url))
    await store.close()
    con = await asyncpg.connect(admin)
    try:
        schema = await con.fetchval(_SCHEMA)
        empty = True
        for (table,) in await con.fetch(_TABLES):
            empty = empty and not await con.fetchval(f"SELECT EXISTS (SELECT FROM {table})")
        return schema, empty
    finally:
        await con.close()


async def _reset(url: str, schema: str) -> bool:
    """Empty the kept database for the next test; False if its schema is not as migrated."""
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        await con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        for _ in range(100):  # terminating is asynchronous: wait until they are gone
            if not await con.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                      "current_database() AND pid <> pg_backend_pid()"):
                break
            await asyncio.sleep(0.01)
        else:
            return False
        if await con.fetchval(_SCHEMA) != schema:
            return False
        tables = [r[0] for r in await con.fetch(_TABLES)]
        async with con.transaction():
            if tables:
                await con.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            for (sequence,) in await con.fetch(_SEQUENCES):
                await con.execute(f"ALTER SEQUENCE {sequence} RESTART")
        return True
    finally:
        await con.close()
