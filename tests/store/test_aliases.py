"""Every student's alias is distinct within a school, so no staff member ever holds or is
offered two cases under one alias ("Kucing Biru" twice made a counselor answer the wrong
child: an outside tester); past the 256 animal-colour pairs a number tells them apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.identity import IdentityVault, alias_for
from bot.core.keys import UserKey
from bot.store import users
from bot.store.port import StorePort, open_store

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
VAULT = IdentityVault(b"alias-secret-0123456789abc")


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorePort]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened = await open_store(tmp_path / "s.sqlite3", url, VAULT)
    yield opened
    await opened.close()


def _keys_sharing_an_alias(n: int) -> list[UserKey]:
    """``n`` keys whose first-choice alias is the same."""
    wanted = alias_for(UserKey("k0".ljust(32, "x")))[0]
    found, i = [], 0
    while len(found) < n:
        key = UserKey(f"k{i}".ljust(32, "x"))
        if alias_for(key)[0] == wanted:
            found.append(key)
        i += 1
    return found


async def test_students_whose_first_alias_collides_get_distinct_aliases(
        store: StorePort) -> None:
    keys = _keys_sharing_an_alias(3)
    async with store.transaction() as db:
        rows = [await users.touch(db, key, "test", lambda: VAULT.seal("a"), "id", NOW)
                for key in keys]
    assert len({row.alias for row in rows}) == 3


async def test_aliases_stay_distinct_past_every_animal_and_colour_pair(
        store: StorePort) -> None:
    async with store.transaction() as db:
        rows = [await users.touch(db, UserKey(f"u{i}".ljust(32, "y")), "test",
                                  lambda: VAULT.seal("a"), "id", NOW) for i in range(300)]
    aliases = [row.alias for row in rows]
    assert len(set(aliases)) == 300
    assert all(alias.strip() for alias in aliases)
