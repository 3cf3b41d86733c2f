"""The app fixture's database starts as a copy of a migrated template (tests/conftest.py): it
must end up as a database that ``App.build`` made itself."""

from __future__ import annotations

import sqlite3

import pytest

from bot.app import App
from bot.store.db import SecretMismatch, migrations
from tests.conftest import SECRET
from tests.dialog import Dialog, RecordingChannel

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself


async def test_the_copied_database_is_private_migrated_and_records_the_apps_secret(
        dialog: Dialog, config) -> None:
    await dialog.say("student", "halo")
    path = config.database_path
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    await dialog.app.stop()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM meta WHERE key = 'secret_fingerprint'"
                          ).fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 1
    with pytest.raises(SecretMismatch):  # the fingerprint is this app's, as on a new file
        await App.build(config, {"test": RecordingChannel()}, secret=b"another-secret-" * 3)
    again = await App.build(config, {"test": RecordingChannel()}, secret=SECRET)
    await again.stop()


def test_the_template_has_every_migration_and_no_secret(sqlite_template) -> None:
    with sqlite3.connect(sqlite_template) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
        assert db.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
