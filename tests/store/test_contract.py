"""The store contract: what the runtime relies on, run against SQLite and PostgreSQL alike.

Every test takes ``store`` (parametrised over both adapters of ``bot/store/port.py``); the
PostgreSQL one runs on the tests' own cluster (tests/pgserver.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.conversation import Conversation
from bot.core.identity import IdentityVault
from bot.core.keys import UserKey
from bot.store import cases, conversations, inbox, outbox, timers, users
from bot.store.db import SealingUnavailable, SecretMismatch
from bot.store.port import StorePort, is_postgres, open_store

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
VAULT = IdentityVault(b"contract-secret-0123456789")
STUDENT = UserKey("s" * 32)


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    """(SQLite path, PostgreSQL URL or None) for one of the two adapters."""
    if request.param == "postgres":
        return tmp_path / "unused.sqlite3", request.getfixturevalue("pg_url")
    return tmp_path / "s.sqlite3", None


@pytest.fixture
async def store(target: tuple[Path, str | None]) -> AsyncIterator[StorePort]:
    opened = await open_store(*target, VAULT)
    yield opened
    await opened.close()


async def _raw(store: StorePort, sql: str, args: tuple = ()) -> list:
    """A query around the sealing layer: what is really stored."""
    if store.dialect == "postgres":
        async with store.raw() as con:  # type: ignore[attr-defined]
            return list(await con.fetch(sql.replace("?", "$1"), *args))
    async with store.read() as db:
        return list(await db.execute_fetchall(sql, args))


async def test_migrates_to_the_latest_version_and_reopening_applies_nothing(
        store: StorePort, target) -> None:
    version = await store.schema_version()
    assert version >= 1
    again = await open_store(*target, VAULT)
    try:
        assert await again.migrate() == version
    finally:
        await again.close()


async def test_a_transaction_rolls_back_everything_on_error(store: StorePort) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as db:
            await db.execute("INSERT INTO audit (at, action) VALUES ('t', 'a')")
            raise RuntimeError("boom")
    async with store.read() as db:
        assert (await db.execute_fetchall("SELECT COUNT(*) FROM audit"))[0][0] == 0


async def test_another_secret_is_refused(store: StorePort, target) -> None:
    async with store.transaction() as db:  # something sealed exists
        await users.touch(db, STUDENT, "test", lambda: VAULT.seal("addr"), "id", NOW)
    with pytest.raises(SecretMismatch):
        await open_store(*target, IdentityVault(b"another-secret-0123456789"))


async def test_inbox_deduplicates_and_claims_each_event_once(store: StorePort) -> None:
    async with store.transaction() as db:
        first = await inbox.insert(db, "test", "e1", STUDENT.value, b"p1", NOW)
        again = await inbox.insert(db, "test", "e1", STUDENT.value, b"p1", NOW)
        batch = await inbox.insert_many(db, [("test", "e2", STUDENT.value, b"p2"),
                                             ("test", "e1", STUDENT.value, b"p1"),
                                             ("test", "e3", STUDENT.value, b"p3")], NOW)
    assert first is not None and again is None
    assert batch[1] is None and batch[0] is not None and batch[2] is not None
    assert first < batch[0] < batch[2]
    async with store.transaction() as db:
        assert [r["id"] for r in await inbox.pending(db)] == [first, batch[0], batch[2]]
        assert await inbox.older_pending(db, STUDENT.value, batch[2]) == first
        assert await inbox.claim(db, first, NOW)
        assert not await inbox.claim(db, first, NOW)
        assert await inbox.older_pending(db, STUDENT.value, batch[2]) == batch[0]
        assert await inbox.get_pending(db, first) is None


async def test_timers_are_set_reset_and_claimed_once(store: StorePort) -> None:
    async with store.transaction() as db:
        await timers.start(db, STUDENT, "offer", NOW + dt.timedelta(minutes=5), {"round": 0})
        await timers.start(db, STUDENT, "offer", NOW, {"round": 1})  # a reset
        await timers.ensure(db, STUDENT, "offer", NOW + dt.timedelta(days=1))  # kept
        await timers.start(db, STUDENT, "later", NOW + dt.timedelta(hours=1), {})
    async with store.read() as db:
        due = await timers.due(db, NOW)
        assert [(t.kind, t.payload) for t in due] == [("offer", {"round": 1})]
        assert await timers.next_due_at(db) == NOW
    later = await _only_timer(store, "later")
    async with store.transaction() as db:
        assert await timers.claim(db, later, NOW) is None  # not due yet
        claimed = await timers.claim(db, due[0].id, NOW)
        assert claimed is not None and claimed.owner == STUDENT
        assert await timers.claim(db, due[0].id, NOW) is None


async def _only_timer(store: StorePort, kind: str) -> int:
    rows = await _raw(store, "SELECT id FROM timers WHERE kind = ?", (kind,))
    return rows[0][0]


async def test_outbox_keeps_each_recipients_order_and_seals_the_words(store: StorePort) -> None:
    async with store.transaction() as db:
        ids = [await outbox.enqueue(db, "test", "r1", VAULT.seal("a"), f"pesan {n}", (), 0, NOW,
                                    VAULT.seal) for n in range(3)]
        alert = await outbox.enqueue(db, "test", "r2", VAULT.seal("b"), "darurat", (), 10, NOW,
                                     VAULT.seal)
    async with store.read() as db:
        due = await outbox.due(db, NOW, VAULT.open)
    assert [r.id for r in due] == [alert, *ids]
    assert [r.text for r in due[1:]] == ["pesan 0", "pesan 1", "pesan 2"]
    raw = await _raw(store, "SELECT payload FROM outbox WHERE id = ?", (ids[0],))
    assert b"pesan" not in bytes(raw[0][0])
    async with store.transaction() as db:
        await outbox.retry_later(db, ids[0], NOW + dt.timedelta(seconds=8), "transient")
        await outbox.mark_sent_many(db, [alert], NOW)
    async with store.read() as db:
        assert await outbox.due(db, NOW, VAULT.open) == []  # r1 waits behind its first row
        later = await outbox.due(db, NOW + dt.timedelta(seconds=9), VAULT.open)
    assert [r.id for r in later] == ids
    assert bytes((await _raw(store, "SELECT payload FROM outbox WHERE id = ?",
                             (alert,)))[0][0]) == b""  # delivered: the words are wiped


async def test_conversation_variables_are_sealed_at_rest(store: StorePort) -> None:
    async with store.transaction() as db:
        await users.touch(db, STUDENT, "test", lambda: VAULT.seal("addr"), "id", NOW)
        await conversations.save(db, Conversation(STUDENT, "id", "intake", "story",
                                                  {"story": "rahasia kecil"}, 3), NOW)
    async with store.read() as db:
        conv = await conversations.load(db, STUDENT, "id")
    assert (conv.flow, conv.state, conv.vars, conv.version) == (
        "intake", "story", {"story": "rahasia kecil"}, 3)
    raw = await _raw(store, "SELECT vars FROM conversations WHERE user_key = ?",
                     (STUDENT.value,))
    assert b"rahasia" not in bytes(raw[0][0])


async def test_a_cases_story_and_messages_are_sealed_yet_readable(store: StorePort) -> None:
    async with store.transaction() as db:
        user = await users.touch(db, STUDENT, "test", lambda: VAULT.seal("addr"), "id", NOW)
        case_id = await cases.create(db, STUDENT, user.code, "peer", "teman", 2,
                                     {"story": "aku dirundung"}, NOW)
        await cases.add_message(db, case_id, "student", "tolong aku", NOW)
    async with store.read() as db:
        view = await cases.by_id(db, case_id, with_recent=5)
        own = await cases.open_for(db, STUDENT)
    assert view is not None and own is not None and own.id == case_id
    assert view.story == "aku dirundung"
    assert "tolong aku" in json.dumps([list(m) for m in view.recent], ensure_ascii=False)
    for sql in ("SELECT intake FROM cases", "SELECT text FROM case_messages"):
        raw = await _raw(store, sql)
        assert b"dirundung" not in bytes(raw[0][0]) and b"tolong" not in bytes(raw[0][0])


async def test_a_two_press_race_for_one_case_has_one_winner(store: StorePort) -> None:
    """The claim's check and write are one statement: of two claims, exactly one wins."""
    async with store.transaction() as db:
        user = await users.touch(db, STUDENT, "test", lambda: VAULT.seal("addr"), "id", NOW)
        case_id = await cases.create(db, STUDENT, user.code, "counselor", "x", 3, {}, NOW)
    results = []
    for staff in ("bk1", "bk2"):
        async with store.transaction() as db:
            results.append(await cases.claim(db, case_id, UserKey(staff * 8), NOW))
    assert results == [True, False]


async def test_sealed_reads_need_the_secret(target) -> None:
    opened = await open_store(*target, VAULT)
    try:
        async with opened.transaction() as db:
            await users.touch(db, STUDENT, "test", lambda: VAULT.seal("addr"), "id", NOW)
            await conversations.save(db, Conversation(STUDENT, "id", None, None, {"a": 1}), NOW)
    finally:
        await opened.close()
    counting = await open_store(*target, None)  # operator tools that only count
    try:
        # SQLite reports the SQL function's SealingUnavailable as an OperationalError
        with pytest.raises((SealingUnavailable, sqlite3.OperationalError)):
            async with counting.read() as db:
                await conversations.load(db, STUDENT, "id")
        async with counting.read() as db:
            assert is_postgres(db) == (counting.dialect == "postgres")
            assert (await db.execute_fetchall("SELECT COUNT(*) FROM users"))[0][0] == 1
    finally:
        await counting.close()
