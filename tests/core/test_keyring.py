"""Envelope keys (bot/core/keyring.py) and the vault's root key: the derivation kept from
before envelope keys, wrapping, and a wrong secret noticed."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core import keyring
from bot.core.identity import IdentityVault

SECRET = b"keyring-secret-0123456789abcdef"


def _before(secret: bytes, label: bytes) -> bytes:
    """How every key was derived before envelope keys (issue #13): HKDF of the secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sebaya-v1",
                info=label).derive(secret)


def test_the_legacy_root_derives_exactly_the_keys_the_secret_derived_before() -> None:
    root = keyring.legacy_root(SECRET)
    for label in (b"user-key", b"web-session", b"address-seal", b"whatsapp-ids", b"mark"):
        assert keyring.subkey(root, label) == _before(SECRET, label)


def test_a_vault_on_the_legacy_root_keeps_user_keys_hashes_and_sealed_values() -> None:
    vault = IdentityVault(SECRET)
    vault.use_legacy_root()
    user_key = hmac.new(_before(SECRET, b"user-key"), b"telegram:4242",
                        hashlib.sha256).hexdigest()[:32]
    assert vault.user_key("telegram", "4242").value == user_key
    assert vault.token_hash("ab-cd") == hmac.new(_before(SECRET, b"user-key"), b"invite:ABCD",
                                                 hashlib.sha256).hexdigest()
    assert vault.web_hash("link", "t") == hmac.new(_before(SECRET, b"web-session"), b"link:t",
                                                   hashlib.sha256).hexdigest()
    old_fernet = Fernet(base64.urlsafe_b64encode(_before(SECRET, b"address-seal")))
    assert vault.open(old_fernet.encrypt(b"alamat")) == "alamat"
    assert old_fernet.decrypt(vault.seal("cerita")).decode() == "cerita"
    assert vault.subkey("whatsapp-ids") == _before(SECRET, b"whatsapp-ids")


def test_the_fingerprint_is_of_the_secret_whatever_the_root() -> None:
    fresh, legacy = IdentityVault(SECRET), IdentityVault(SECRET)
    legacy.use_legacy_root()
    assert fresh.fingerprint() == legacy.fingerprint() != IdentityVault(b"x" * 32).fingerprint()


def test_a_new_vault_has_a_random_root_until_bound() -> None:
    one, two = IdentityVault(SECRET), IdentityVault(SECRET)
    assert one.user_key("test", "1") != two.user_key("test", "1")
    two.unlock(one.wrap_root())
    assert one.user_key("test", "1") == two.user_key("test", "1")
    assert two.open(one.seal("cerita")) == "cerita"


def test_a_root_wrapped_under_a_new_secret_opens_only_with_it() -> None:
    vault = IdentityVault(SECRET)
    rewrapped = vault.wrap_root(b"new-secret-Zq8fW2nLx7Rk4tPb9Hc3vJm")
    rotated = IdentityVault(b"new-secret-Zq8fW2nLx7Rk4tPb9Hc3vJm")
    rotated.unlock(rewrapped)
    assert rotated.user_key("test", "1") == vault.user_key("test", "1")
    with pytest.raises(keyring.WrongSecret):
        IdentityVault(SECRET).unlock(rewrapped)


def test_a_tampered_or_unknown_wrapping_is_refused() -> None:
    wrapped = IdentityVault(SECRET).wrap_root()
    flipped = wrapped[:-3] + ("A" if wrapped[-3] != "A" else "B") + wrapped[-2:]
    for bad in (flipped, "v2." + wrapped[3:], "v1.???", ""):
        with pytest.raises(keyring.WrongSecret):
            IdentityVault(SECRET).unlock(bad)


def test_wrapping_uses_a_fresh_nonce_and_never_shows_the_root() -> None:
    vault = IdentityVault(SECRET)
    first, second = vault.wrap_root(), vault.wrap_root()
    assert first != second
    root = vault._root  # the test looks inside on purpose
    assert base64.urlsafe_b64encode(root).decode()[:20] not in first
