"""Envelope keys: one root key for everything, wrapped under the installation secret.

Every key of an installation (the HMAC of user keys and invite hashes, web sign-in hashes,
WhatsApp id hashes, the Fernet key that seals addresses, stories and timer payloads) is
derived here, and only here, from a 32-byte **root key** with HKDF-Expand and a label
(``subkey``). The database stores the root key only wrapped (AES-256-GCM) under a
key-encryption key derived from the installation secret (``kek``), so changing the secret
re-wraps 32 bytes and nothing else: every user key, hash and sealed value stays valid.

A database made before envelope keys keeps the root its secret always implied:
``legacy_root(secret)`` is HKDF-Extract of the secret with the salt every key used, so
``subkey(legacy_root(s), label)`` equals the old ``HKDF(s, salt, label)`` byte for byte. A new
database gets a random root (``new_root``).

Per-school keys (issue #19): a school of a district has its own keyring row (its own
database file on SQLite, its own row under row-level security on PostgreSQL) and so its own
root; on top of that, a row filled for a named school says so in its scheme
(``envelope-v1;school=<id>``) and every key of it is ``subkey(root, "school:<id>:<label>")``
(``labelled``). So two schools' pseudonyms and seals are unrelated even where their roots are
not (two databases made before envelope keys with one secret: the same legacy root; a file
copied to make a second school), and a school's database opened as another school is
refused (``WrongSchool``). Rows filled before schools keep their plain scheme and labels:
nothing already derived changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from bot.errors import SebayaError

SCHEME = "envelope-v1"  # what the keyring row says; `sebaya doctor` shows it
ROOT_BYTES = 32
_SALT = b"sebaya-v1"  # the salt every key derived from the secret used before envelope keys
_KEK_SALT = b"sebaya-kek-v1"  # a different salt: the KEK is not derivable from the root
_AAD = b"sebaya root key v1"
_PREFIX = "v1."


class WrongSchool(SebayaError):
    """A keyring row of one school opened as another (a copied file, a wrong --school)."""


class WrongSecret(Exception):
    """The wrapped root key does not open with this secret (or the row was tampered with)."""


def new_root() -> bytes:
    """A random root key for a new database."""
    return os.urandom(ROOT_BYTES)


def legacy_root(secret: bytes) -> bytes:
    """The root a secret implied before envelope keys (HKDF-Extract with the old salt)."""
    return hmac.new(_SALT, secret, hashlib.sha256).digest()


def subkey(root: bytes, label: str | bytes) -> bytes:
    """The 32-byte key for one purpose (``label``), derived from the root key."""
    info = label.encode() if isinstance(label, str) else label
    return HKDFExpand(algorithm=hashes.SHA256(), length=32, info=info).derive(root)


def school_scheme(school: str | None) -> str:
    """The scheme a keyring row filled for ``school`` records (None: the plain one)."""
    return SCHEME if school is None else f"{SCHEME};school={school}"


def scheme_school(scheme: str | None) -> str | None:
    """The school a row's scheme names, or None (a row of before schools, or the implicit
    school)."""
    _, _, school = (scheme or SCHEME).partition(";school=")
    return school or None


def labelled(school: str | None, label: bytes) -> bytes:
    """A key's label within a school (unchanged for a row without a school)."""
    return label if school is None else b"school:" + school.encode() + b":" + label


def kek(secret: bytes) -> bytes:
    """The key-encryption key of an installation secret: it wraps the root key, nothing else."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_KEK_SALT,
                info=b"root-key-wrap").derive(secret)


def wrap(key_encryption_key: bytes, root: bytes) -> str:
    """The root key sealed (AES-256-GCM, random nonce) as text for the keyring row."""
    if len(root) != ROOT_BYTES:
        raise ValueError("a root key has 32 bytes")
    nonce = os.urandom(12)
    sealed = AESGCM(key_encryption_key).encrypt(nonce, root, _AAD)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unwrap(key_encryption_key: bytes, wrapped: str) -> bytes:
    """Open a wrapped root key; WrongSecret if this key-encryption key is not the one."""
    if not wrapped.startswith(_PREFIX):
        raise WrongSecret(f"unknown keyring format {wrapped[:4]!r}")
    try:
        raw = base64.urlsafe_b64decode(wrapped[len(_PREFIX):].encode("ascii"))
        root = AESGCM(key_encryption_key).decrypt(raw[:12], raw[12:], _AAD)
    except (InvalidTag, ValueError) as exc:
        raise WrongSecret("the root key does not open with this secret") from exc
    if len(root) != ROOT_BYTES:
        raise WrongSecret("the wrapped root key has the wrong length")
    return root
