"""Migration 018 (PostgreSQL 004), the keyring: a database made before envelope keys keeps
every user key, pseudonym, invite and sealed value; a new one gets a random root key; a wrong
secret is refused with the usual message. Both stores."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core.identity import IdentityVault
from bot.core.keys import UserKey
from bot.store import cases, invites, keyring, timers, users
from bot.store import db as db_module
from bot.store.db import SecretMismatch, fetch_one
from bot.store.pg import store as pg_module
from bot.store.port import open_store

SECRET = b"keyring-store-secret-0123456789ab"
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


class VaultBeforeEnvelopeKeys:
    """IdentityVault as it was before issue #13: every key an HKDF of the secret itself."""

    def __init__(self, secret: bytes) -> None:
        def derive(key: bytes, label: bytes) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sebaya-v1",
                        info=label).derive(key)

        self._hmac = derive(secret, b"user-key")
        self._mark = derive(derive(secret, b"mark"), b"fingerprint")
        self._fernet = Fernet(base64.urlsafe_b64encode(derive(secret, b"address-seal")))

    def user_key(self, channel: str, uid: str) -> UserKey:
        return UserKey(hmac.new(self._hmac, f"{channel}:{uid}".encode(),
                                hashlib.sha256).hexdigest()[:32])

    def token_hash(self, token: str) -> str:
        return hmac.new(self._hmac, b"invite:" + token.upper().encode(),
                        hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        return hmac.new(self._mark, b"sebaya", hashlib.sha256).hexdigest()[:24]

    def seal(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode())

    def open(self, token: bytes) -> str:
        return self._fernet.decrypt(token).decode()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    if request.param == "postgres":
        return tmp_path / "unused.sqlite3", request.getfixturevalue("pg_url")
    return tmp_path / "s.sqlite3", None


async def _made_before_envelope_keys(target, monkeypatch) -> dict:
    """A school's database as the code before migration 018 (PostgreSQL 004) left it."""
    sqlite_all, pg_all = db_module.migrations(), pg_module.migrations()
    monkeypatch.setattr(db_module, "migrations", lambda: [m for m in sqlite_all if m[0] < 18])
    monkeypatch.setattr(pg_module, "migrations", lambda: [m for m in pg_all if m[0] < 4])
    old = VaultBeforeEnvelopeKeys(SECRET)
    store = await open_store(*target, old)
    student = old.user_key("telegram", "55501")
    try:
        async with store.transaction() as db:
            assert not await keyring.has_table(db)
            row = await users.touch(db, student, "telegram", lambda: old.seal("chat-55501"),
                                    "id", NOW)
            await invites.create(db, old.token_hash("K7Q2M9"), "peer", "Bintang", NOW,
                                 dt.timedelta(days=7))
            case = await cases.create(db, student, row.code, "counselor", "teman", 2,
                                      {"story": "cerita-rahasia-018"}, NOW)
            await cases.add_message(db, case, "student", "pesan-tersegel-018", NOW)
            await timers.start(db, student, "crisis_ladder", NOW, {"excerpt": "takut-018"})
    finally:
        await store.close()
    monkeypatch.setattr(db_module, "migrations", lambda: sqlite_all)
    monkeypatch.setattr(pg_module, "migrations", lambda: pg_all)
    return {"student": student, "alias": row.alias, "code": row.code,
            "invite": old.token_hash("K7Q2M9")}


async def test_a_database_made_before_envelope_keys_keeps_every_key_and_sealed_value(
        target, monkeypatch) -> None:
    before = await _made_before_envelope_keys(target, monkeypatch)
    vault = IdentityVault(SECRET)
    store = await open_store(*target, vault)  # migrates: the keyring keeps the old root
    try:
        assert vault.origin == "keyring"
        student = vault.user_key("telegram", "55501")
        assert student == before["student"]
        assert vault.token_hash("k7q2-m9") == before["invite"]
        async with store.transaction() as db:
            row = await keyring.read(db)
            user = await users.get(db, student)
            case = await cases.open_for(db, student)
            story = await fetch_one(db, "SELECT json_extract(unseal(intake), '$.story') "
                                        "AS story FROM cases WHERE id = ?", (case.id,))
            text = await fetch_one(db, "SELECT unseal(text) AS text FROM case_messages")
            payload = await fetch_one(db, "SELECT unseal(payload) AS payload FROM timers "
                                          "WHERE kind = 'crisis_ladder'")
            invite = await invites.find(db, vault.token_hash("K7Q2M9"))
        assert row is not None and row.origin == "legacy" and row.rotated_at is None
        assert (user.alias, user.code) == (before["alias"], before["code"])
        assert vault.open(bytes(user.address)) == "chat-55501"
        assert case.code == before["code"] and story[0] == "cerita-rahasia-018"
        assert text[0] == "pesan-tersegel-018" and "takut-018" in payload[0]
        assert invite is not None and invite.role == "peer"
    finally:
        await store.close()
    again = IdentityVault(SECRET)  # reopening unwraps the same root
    reopened = await open_store(*target, again)
    await reopened.close()
    assert again.user_key("telegram", "55501") == before["student"]


async def test_a_wrong_secret_on_a_database_made_before_envelope_keys_is_refused(
        target, monkeypatch) -> None:
    await _made_before_envelope_keys(target, monkeypatch)
    with pytest.raises(SecretMismatch, match="another installation secret"):
        await open_store(*target, IdentityVault(b"another-secret-0123456789abcdef"))
    vault = IdentityVault(SECRET)  # nothing was changed by the refused attempt
    store = await open_store(*target, vault)
    await store.close()
    assert vault.origin == "keyring"


async def test_a_new_database_gets_a_random_root_and_refuses_another_secret(target) -> None:
    vault = IdentityVault(SECRET)
    store = await open_store(*target, vault)
    try:
        async with store.read() as db:
            row = await keyring.read(db)
        assert row is not None and row.origin == "random" and row.scheme == "envelope-v1"
        legacy = IdentityVault(SECRET)
        legacy.use_legacy_root()
        assert vault.user_key("test", "1") != legacy.user_key("test", "1")
    finally:
        await store.close()
    with pytest.raises(SecretMismatch, match="another installation secret"):
        await open_store(*target, IdentityVault(b"another-secret-0123456789abcdef"))
    same = IdentityVault(SECRET)
    reopened = await open_store(*target, same)
    await reopened.close()
    assert same.user_key("test", "1") == vault.user_key("test", "1")


async def test_the_keyring_holds_no_usable_key(target) -> None:
    vault = IdentityVault(SECRET)
    store = await open_store(*target, vault)
    try:
        async with store.read() as db:
            row = await keyring.read(db)
    finally:
        await store.close()
    root = vault._root
    assert root.hex() not in row.wrapped and base64.b64encode(root).decode() not in row.wrapped
