"""Many schools in one PostgreSQL database (issue #19): isolation enforced by the database.

Each school's store is a view bound to it; row-level security (migration 008) keeps every
statement to the school its transaction set, the bot's role cannot lift that, every key is
per school, each school has its own root key, and the views of one process share one pool
fairly. SQLite needs none of this: a school is a file of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.core.identity import IdentityVault
from bot.core.keys import UserKey
from bot.store import cases, conversations, inbox, invites, outbox, timers, users
from bot.store.pg import store as pg_module
from bot.store.pg.shared import REGISTRY, notify_payload, parse_payload
from bot.store.pg.store import PgStore
from bot.store.singleton import Singleton
from tests.pgserver import owner_url

SECRET = b"schools-secret-0123456789abcdef"
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
STUDENT = UserKey("s" * 32)
SETTING = "current_setting('sebaya.school'::text, true)"


@pytest.fixture
async def url(pg_server) -> AsyncIterator[str]:
    """A migrated database, as the bot's role (rows only)."""
    found = pg_server.migrated_database()
    yield found
    pg_server.release(found)


async def _open(url: str, school: str | None, vault: IdentityVault | None = None,
                **options) -> PgStore:
    return await PgStore.open(url, vault or IdentityVault(SECRET), school=school,
                              migrate_url=owner_url(url), **options)


@pytest.fixture
async def schools(url: str) -> AsyncIterator[tuple[PgStore, PgStore]]:
    a, b = await _open(url, "smpn1"), await _open(url, "smpn2")
    yield a, b
    await a.close()
    await b.close()


async def _fill(store: PgStore, code: str = "K7Q2", story: str = "cerita") -> int:
    """A school's rows in most tables, through the store's own queries."""
    vault = store._sealer
    async with store.transaction() as db:
        row = await users.touch(db, STUDENT, "telegram", lambda: vault.seal("chat-1"), "id", NOW)
        case = await cases.create(db, STUDENT, code, "counselor", "teman", 2, {"story": story},
                                  NOW)
        await cases.add_message(db, case, "student", f"{story}-pesan", NOW)
        await timers.start(db, STUDENT, "crisis_ladder", NOW, {"excerpt": story})
        await invites.create(db, "same-invite-hash", "peer", "Bintang", NOW,
                             dt.timedelta(days=7))
        await inbox.insert(db, "telegram", "update-1", STUDENT.value, b"x", NOW)
        await outbox.enqueue(db, "telegram", STUDENT.value, vault.seal("chat-1"), "halo", (),
                             0, NOW, vault.seal)
        conv = await conversations.load(db, STUDENT, "id")
        await conversations.save(db, conv, NOW)
        assert row.code
    return case


async def _tables(con: asyncpg.Connection) -> list[str]:
    return [r[0] for r in await con.fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind = 'r' AND relname <> 'sebaya_schema' ORDER BY relname")]


async def test_every_table_carries_the_school_under_forced_row_level_security(url) -> None:
    """A table added later without the school, the policy or per-school keys fails here."""
    con = await asyncpg.connect(owner_url(url))
    try:
        tables = await _tables(con)
        assert {"users", "cases", "keyring", "meta", "angket_done"} <= set(tables)
        for table in tables:
            column = await con.fetchrow(
                "SELECT is_nullable, column_default FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'school'",
                table)
            assert column is not None, f"{table} has no school column"
            assert column["is_nullable"] == "NO", table
            assert "current_setting('sebaya.school'" in column["column_default"], table
            secured, forced = await con.fetchrow(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE oid = $1::regclass", table)
            assert secured and forced, f"{table}: row-level security not enabled and forced"
            policies = await con.fetch(
                "SELECT cmd, permissive, qual, with_check FROM pg_policies "
                "WHERE schemaname = 'public' AND tablename = $1", table)
            assert [(p["cmd"], p["permissive"]) for p in policies] == [("ALL", "PERMISSIVE")], \
                table
            assert policies[0]["qual"] == policies[0]["with_check"] == f"(school = {SETTING})"
            for kind, definition in await con.fetch(
                    "SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f')", table):
                assert "(school, " in definition, f"{table}: {definition} is not per school"
                if kind == "f":
                    assert definition.startswith("FOREIGN KEY (school, ") and \
                        definition.count("(school, ") == 2, f"{table}: {definition}"
    finally:
        await con.close()


async def test_a_school_sees_none_of_another_schools_rows_in_any_table(schools, url) -> None:
    a, b = schools
    await _fill(b)
    async with a.raw() as con:  # A's own: its root key and its secret's fingerprint only
        for table in await _tables(con):
            assert await con.fetchval(f"SELECT count(*) FROM {table} WHERE school <> 'smpn1'"
                                      ) == 0, table
            if table not in ("keyring", "meta"):
                assert await con.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    async with a.transaction() as db:
        assert await users.get(db, STUDENT) is None
        assert await cases.open_by_code(db, "K7Q2") is None
        assert await inbox.pending(db) == []
        assert await timers.due(db, NOW + dt.timedelta(days=1)) == []
        # A's writes cannot land in B's rows either: nothing of B's to update
        cursor = await db.execute("UPDATE cases SET topic = 'x'")
        assert cursor.rowcount == 0
    async with b.transaction() as db:
        assert (await cases.open_by_code(db, "K7Q2")).topic == "teman"
    async with b.raw() as con:  # B has rows in most tables (so the zeros above mean something)
        filled = [t for t in await _tables(con)
                  if await con.fetchval(f"SELECT count(*) FROM {t}")]
        assert {"users", "cases", "case_messages", "timers", "invites", "inbox", "outbox",
                "conversations", "keyring", "meta"} <= set(filled)


async def test_a_connection_that_set_no_school_sees_and_writes_nothing(schools, url) -> None:
    a, _ = schools
    await _fill(a)
    for as_url in (url, owner_url(url)):  # the bot's role and the owner alike (FORCE)
        con = await asyncpg.connect(as_url)
        try:
            assert await con.fetchval("SELECT count(*) FROM users") == 0
            assert await con.fetchval("SELECT count(*) FROM cases") == 0
            with pytest.raises(asyncpg.PostgresError):  # no school: no default, no row
                await con.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):  # nor one of another's
                await con.execute("INSERT INTO meta (school, key, value) "
                                  "VALUES ('smpn1', 'x', 'y')")
            async with con.transaction():  # a school set for one transaction only
                await con.execute("SELECT set_config('sebaya.school', 'smpn1', true)")
                assert await con.fetchval("SELECT count(*) FROM users") == 1
            assert await con.fetchval("SELECT count(*) FROM users") == 0  # and gone after it
            with pytest.raises(asyncpg.PostgresError):  # '' is no school either
                await con.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        finally:
            await con.close()


async def test_the_bots_role_cannot_lift_the_policies(schools, url) -> None:
    a, _ = schools
    await _fill(a)
    con = await asyncpg.connect(url)
    try:
        assert tuple(await con.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles "
                                        "WHERE rolname = current_user")) == (False, False)
        for statement in ("ALTER TABLE users DISABLE ROW LEVEL SECURITY",
                          "ALTER TABLE users NO FORCE ROW LEVEL SECURITY",
                          "DROP POLICY school_only ON users",
                          "CREATE POLICY everything ON users USING (true)",
                          "ALTER TABLE users DROP COLUMN school",
                          "TRUNCATE users",
                          "CREATE TABLE mine (x int)",
                          "UPDATE sebaya_schema SET version = 0"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await con.execute(statement)
        await con.execute("SET row_security = off")  # asks for an error, never for the rows
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await con.fetchval("SELECT count(*) FROM users")
    finally:
        await con.close()


async def test_two_schools_hold_the_same_case_code_user_key_and_invite(schools) -> None:
    a, b = schools
    case_a = await _fill(a, "K7Q2", "cerita-a")
    case_b = await _fill(b, "K7Q2", "cerita-b")  # no collision, nothing tells A's existence
    async with a.transaction() as db:
        found = await cases.open_by_code(db, "K7Q2")
        assert found.id == case_a and found.student == STUDENT
        invite_a = await invites.find(db, "same-invite-hash")
        assert await invites.redeem(db, invite_a.id, "someone", NOW)
    async with b.transaction() as db:
        found = await cases.open_by_code(db, "K7Q2")
        assert found.id == case_b
        invite_b = await invites.find(db, "same-invite-hash")  # still unused in B
        assert invite_b.id != invite_a.id and await invites.redeem(db, invite_b.id, "x", NOW)
    assert case_a != case_b  # the identity sequences are shared: ids never repeat


async def test_each_school_has_its_own_root_key(url) -> None:
    vault_a, vault_b = IdentityVault(SECRET), IdentityVault(SECRET)  # one installation secret
    a, b = await _open(url, "smpn1", vault_a), await _open(url, "smpn2", vault_b)
    try:
        assert vault_a.origin == vault_b.origin == "keyring"
        # the same person on the same platform: pseudonymous keys not linkable across schools
        assert vault_a.user_key("telegram", "55501") != vault_b.user_key("telegram", "55501")
        assert vault_a.token_hash("K7Q2M9") != vault_b.token_hash("K7Q2M9")
        await _fill(a, story="rahasia-a")
        async with a.raw() as con:
            sealed = bytes(await con.fetchval("SELECT text FROM case_messages"))
            wrapped = await con.fetchval("SELECT wrapped FROM keyring")
        async with b.raw() as con:
            assert await con.fetchval("SELECT wrapped FROM keyring") != wrapped
        assert vault_a.open(sealed) == "rahasia-a-pesan"
        with pytest.raises(Exception):  # noqa: B017 (the vault's own "cannot open" error)
            vault_b.open(sealed)
        again = IdentityVault(SECRET)  # reopened: the school's stored root, not a new one
        reopened = await _open(url, "smpn1", again)
        try:
            assert again.user_key("telegram", "55501") == vault_a.user_key("telegram", "55501")
        finally:
            await reopened.close()
    finally:
        await a.close()
        await b.close()


async def test_views_of_one_process_share_one_pool_and_one_listener(url) -> None:
    a = await _open(url, "smpn1")
    b = await _open(url, "smpn2")
    woke: dict[str, list[set[str]]] = {"smpn1": [], "smpn2": []}
    arrived = {school: asyncio.Event() for school in woke}

    def waker(school):
        def on_notify(tables: set[str]) -> None:
            woke[school].append(tables)
            arrived[school].set()
        return on_notify

    try:
        assert a._shared is b._shared and REGISTRY.open_on(url) == 1
        await asyncio.gather(a.listen(waker("smpn1")), b.listen(waker("smpn2")))  # at once
        con = await asyncpg.connect(url)
        try:
            listening = await con.fetchval("SELECT count(*) FROM pg_stat_activity WHERE "
                                           "datname = current_database() "
                                           "AND query LIKE 'LISTEN%'")
        finally:
            await con.close()
        assert listening == 1
        async with b.transaction() as db:
            await inbox.insert(db, "telegram", "b-1", STUDENT.value, b"x", NOW)
        await asyncio.wait_for(arrived["smpn2"].wait(), 10)
        async with a.transaction() as db:
            await inbox.insert(db, "telegram", "a-1", STUDENT.value, b"x", NOW)
        await asyncio.wait_for(arrived["smpn1"].wait(), 10)
        # each school's loops woke for its own rows only (NOTIFY says the school)
        assert woke == {"smpn1": [{"inbox"}], "smpn2": [{"inbox"}]}
        pool = a._shared.pool
        await a.close()
        async with b.transaction() as db:  # the pool outlives the first view to close
            assert len(await inbox.pending(db)) == 1
        assert not pool._closed
    finally:
        await a.close()
        await b.close()
    assert pool._closed and REGISTRY.open_on(url) == 0  # closed with the last view


def test_a_notify_payload_names_the_school() -> None:
    assert parse_payload(notify_payload("smpn1", "inbox,outbox")) == (
        "smpn1", {"inbox", "outbox"})
    assert parse_payload("timers") == ("default", {"timers"})  # a worker from before schools


async def test_two_schools_locks_and_singletons_do_not_exclude_each_other(url) -> None:
    a, b = await _open(url, "smpn1"), await _open(url, "smpn2")
    # another worker of each school (a process of its own: here, pools of their own)
    a2, b2 = await _open(url, "smpn1"), await _open(url, "smpn2")
    polls = [Singleton(s, "telegram-polling") for s in (a, b, a2, b2)]
    try:
        assert a2._shared is not a._shared and b2._shared is a2._shared
        async with a.transaction() as held:
            await a.lock_person(held, STUDENT.value)
            async with b.transaction() as db:
                assert await b.try_lock_person(db, STUDENT.value)
            async with a2.transaction() as db:
                assert not await a2.try_lock_person(db, STUDENT.value)
        assert await a.try_lock_recipient(STUDENT.value)
        # in another session: the same recipient key of another school is free, A's is not
        assert await b2.try_lock_recipient(STUDENT.value)
        assert await a2.try_lock_recipient(STUDENT.value) is False
        assert await b.try_lock_recipient(STUDENT.value) is False  # B's, held by b2
        assert [await s.try_acquire() for s in polls] == [True, True, False, False]
    finally:
        for poll in polls:
            await poll.release()
        for store in (a, b, a2, b2):
            await store.close()


async def _holding(store: PgStore, started: asyncio.Event, release: asyncio.Event,
                   urgent: bool = False) -> None:
    async with store.transaction(urgent=urgent) as db:
        await db.execute("SELECT 1")
        started.set()
        await release.wait()


async def test_one_school_holding_its_share_does_not_block_another(url) -> None:
    options = {"pool_size": 2, "urgent_size": 1, "school_share": 0.5}
    a, b = await _open(url, "smpn1", **options), await _open(url, "smpn2", **options)
    release = asyncio.Event()
    first, second = asyncio.Event(), asyncio.Event()
    try:
        assert a._shared.shares[False].cap() == 1
        holder = asyncio.create_task(_holding(a, first, release))
        await asyncio.wait_for(first.wait(), 10)
        surge = asyncio.create_task(_holding(a, second, release))  # A wants a second one
        async with asyncio.timeout(10):  # B gets the pool's other connection at once
            async with b.transaction() as db:
                assert (await db.execute_fetchall("SELECT 2"))[0][0] == 2
        assert not second.is_set() and not surge.done()  # A waits for its own share
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, surge), 10)
        assert second.is_set()
    finally:
        release.set()
        await a.close()
        await b.close()


async def test_a_single_school_has_the_whole_pool(url) -> None:
    store = await _open(url, None, pool_size=2, urgent_size=1, school_share=0.5)
    release, first, second = asyncio.Event(), asyncio.Event(), asyncio.Event()
    try:
        assert store.school == "default" and store._shared.shares[False].cap() == 2
        tasks = [asyncio.create_task(_holding(store, e, release)) for e in (first, second)]
        await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 10)
        release.set()
        await asyncio.gather(*tasks)
    finally:
        release.set()
        await store.close()


async def test_crisis_work_of_each_school_has_at_least_one_connection(url) -> None:
    options = {"pool_size": 4, "urgent_size": 3, "school_share": 0.25}
    a, b = await _open(url, "smpn1", **options), await _open(url, "smpn2", **options)
    try:
        assert a._shared.shares[True].cap() == 1  # a quarter of 3, never below one
        release, started = asyncio.Event(), asyncio.Event()
        crisis = asyncio.create_task(_holding(a, started, release, urgent=True))
        await asyncio.wait_for(started.wait(), 10)
        async with asyncio.timeout(10), b.transaction(urgent=True) as db:
            await db.execute("SELECT 1")
        release.set()
        await crisis
    finally:
        await a.close()
        await b.close()


def test_a_school_id_is_checked_before_it_reaches_sql() -> None:
    assert pg_module.school_id(None) == "default"
    assert pg_module.school_id("smpn-1.bandung_2") == "smpn-1.bandung_2"
    for bad in ("", "a'b", "a b", "a:b", "-x", "x" * 64):
        with pytest.raises(Exception, match="school id"):
            pg_module.school_id(bad)


async def test_migrating_needs_the_owner_and_the_same_database(url, pg_url) -> None:
    from bot.errors import SebayaError
    from tests.pgserver import app_url

    with pytest.raises(SebayaError, match="SEBAYA_MIGRATE_DATABASE_URL"):  # rows only
        await PgStore.open(app_url(pg_url), IdentityVault(SECRET))
    with pytest.raises(SebayaError, match="nothing migrated"):  # another database's owner
        await PgStore.open(url, IdentityVault(SECRET), migrate_url=pg_url)
    assert REGISTRY.open_on(url) == REGISTRY.open_on(app_url(pg_url)) == 0  # all closed
    # migrated already: the bot's role alone opens it, a new school's keyring row included
    store = await PgStore.open(url, IdentityVault(SECRET), school="smpn9")
    try:
        async with store.read() as db:
            assert len(await db.execute_fetchall("SELECT wrapped FROM keyring")) == 1
    finally:
        await store.close()


async def test_a_read_inside_a_transaction_does_not_wait_for_its_own_share(url) -> None:
    options = {"pool_size": 2, "urgent_size": 1, "school_share": 0.5}
    a, b = await _open(url, "smpn1", **options), await _open(url, "smpn2", **options)
    try:
        async with asyncio.timeout(10), a.transaction() as db:  # A holds its one share
            await db.execute("SELECT 1")
            async with a.read() as inner:  # the same unit of work: no deadlock on the cap
                assert (await inner.execute_fetchall("SELECT 3"))[0][0] == 3
    finally:
        await a.close()
        await b.close()


async def test_the_school_costs_a_transaction_no_round_trip_and_reads_one_once(
        url, monkeypatch: pytest.MonkeyPatch) -> None:
    store = await _open(url, "smpn1")
    sent: list[str] = []
    for name in ("execute", "fetch", "fetchval", "fetchrow"):
        original = getattr(asyncpg.Connection, name)

        def counting(self, query, *args, _original=original, **kwargs):
            sent.append(query)
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.Connection, name, counting)
    select = "SELECT count(*) FROM users WHERE key = ?"
    try:
        for _ in range(2):  # the second time: statement shapes known, the session set
            sent.clear()
            async with store.transaction() as db:
                await store.lock_person(db, STUDENT.value)
                await db.execute_fetchall(select, (STUDENT.value,))
        assert len(sent) == 3 and sent[0].startswith(  # as before schools: BEGIN+lock, 1, COMMIT
            "BEGIN; SELECT set_config('sebaya.school', 'smpn1', true); SELECT pg_advisory")
        reads = []
        for _ in range(2):
            sent.clear()
            async with store.read() as db:
                await db.execute_fetchall(select, (STUDENT.value,))
            reads.append(len(sent))
        assert reads == [2, 1]  # the session's school once, then only the statement
    finally:
        await store.close()
