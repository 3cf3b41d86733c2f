"""Shared fixtures: a config pointing at a temporary database, and a running App."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.store.db import Store
from tests import yamlcache
from tests.dialog import Dialog, RecordingChannel

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"test-secret-0123456789abcdef"


def pytest_configure(config: pytest.Config) -> None:
    yamlcache.install()  # the shipped flows are parsed once per process, not once per test
    config.addinivalue_line("markers", "sqlite_only: reads the SQLite file or its internals "
                            "(skipped when SEBAYA_TEST_DATABASE=postgres)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SEBAYA_TEST_DATABASE") != "postgres":
        return
    skip = pytest.mark.skip(reason="reads the SQLite file itself: not a PostgreSQL test")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped config.yaml and flows/ in a temporary folder."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    return tmp_path


@pytest.fixture
def config(project: Path, request: pytest.FixtureRequest) -> Config:
    """The shipped config; on PostgreSQL (an empty database at the latest schema) with
    SEBAYA_TEST_DATABASE=postgres, which runs every test that uses it against the second
    store."""
    config = load_config(project / "config.yaml")
    if os.environ.get("SEBAYA_TEST_DATABASE") == "postgres":
        from tests.pgserver import owner_url

        url = request.getfixturevalue("pg_migrated_url")  # the bot's role: rows only
        # the CLI's commands load config.yaml themselves: they find the database here
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("SEBAYA_DATABASE_URL", url)
        monkeypatch.setenv("SEBAYA_MIGRATE_DATABASE_URL", owner_url(url))
        config = config.model_copy(update={"database": config.database.model_copy(
            update={"url": url, "migrate_url": owner_url(url)})})
    return config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file as ``Store.open`` leaves a new one, before any secret is recorded in it:
    every migration applied once per test process, not once per test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.sqlite3"

    async def migrate() -> None:
        await (await Store.open(path)).close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a loop may be running here
        pool.submit(asyncio.run, migrate()).result()
    assert not path.with_name(path.name + "-wal").exists()  # closed: all in the one file
    return path


def place_migrated(config: Config, template: Path) -> None:
    """Put a copy of the migrated template where a SQLite config's new database would be
    made, private as ``Store.open`` would make it (nothing on PostgreSQL or when a database
    is already there: then ``App.build`` opens and migrates as ever)."""
    path = config.database_path
    if config.database_url() or str(path) == ":memory:" or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(template, path)
    path.chmod(0o600)


@pytest.fixture
async def app(config: Config, clock: ManualClock, sqlite_template: Path) -> AsyncIterator[App]:
    place_migrated(config, sqlite_template)
    channel = RecordingChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET)
    yield app
    await app.stop()


@pytest.fixture
def dialog(app: App) -> Dialog:
    return Dialog(app, app.channels["test"])  # type: ignore[arg-type]


async def enrol(app: App, who: str, role: str, name: str) -> None:
    """Enrol a staff member on the test channel."""
    await app.enrol_local_staff("test", who, who, role, name)


# -- PostgreSQL: one throwaway cluster per session (tests/pgserver.py) -----------------------

@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL; skipped with the reason when none can be started, except in
    CI (CI=true), where that fails loudly."""
    from tests.pgserver import PgServer, Unavailable, in_ci

    try:
        server = PgServer.start()
    except Unavailable as exc:
        if in_ci():
            pytest.fail(f"CI=true but PostgreSQL could not be started: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database in the session's cluster, as its owner (not a superuser:
    row-level security holds it; ``tests.pgserver.app_url`` gives the bot's role)."""
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def pg_migrated_url(pg_server) -> str:
    """An empty database at the latest schema (emptied and reused between tests: see
    ``PgServer.migrated_database``), as the bot's role (rows only; ``tests.pgserver.owner_url``
    gives the owner's); the migrations themselves are tested on ``pg_url``."""
    url = pg_server.migrated_database()
    yield url
    pg_server.release(url)
