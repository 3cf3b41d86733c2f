"""Anonymity by construction: pseudonymous keys, aliases, and the sealed reply address.

Every key derives from the installation's root key (``bot.core.keyring``, HKDF-Expand with
distinct labels): one for the HMAC that turns ``channel:platform_user_id`` into a UserKey (and
invite hashes), one for web sign-in hashes, one for Fernet, which encrypts reply addresses,
stories and payloads at rest. The root key lives in the database wrapped under a key derived
from the installation secret: the store unwraps it when it opens (``unlock``), so a changed
secret (``sebaya secret rotate``) changes no key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from bot.core import keyring
from bot.core.keys import UserKey

_ANIMALS = (
    "Kucing", "Elang", "Lumba", "Rusa", "Kelinci", "Merpati", "Penyu", "Kupu", "Panda", "Jerapah",
    "Koala", "Rubah", "Bangau", "Cendrawasih", "Komodo", "Tupai",
)
_COLOURS = (
    "Biru", "Hijau", "Jingga", "Ungu", "Perak", "Emas", "Merah", "Putih", "Nila", "Kuning",
    "Cokelat", "Toska", "Salem", "Krem", "Abu", "Hitam",
)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


class AddressSealError(Exception):
    """A sealed value could not be opened (wrong secret or tampered data)."""


class IdentityVault:
    """Derives keys and aliases, seals and opens addresses.

    Made from the installation secret, it holds a random root key until a store binds it to
    the database's own: ``unlock`` (a keyring row), ``use_legacy_root`` (a database made
    before envelope keys). A new database adopts the vault's root (``wrap_root``)."""

    def __init__(self, secret: bytes, school: str | None = None) -> None:
        # the school of a district this vault is for (None, or "default": the implicit one)
        self.school = None if school in (None, "default") else school
        self._labels: str | None = None  # the school the bound keyring row's keys are of
        self._kek = keyring.kek(secret)
        self._legacy = keyring.legacy_root(secret)
        self._secret_mark = keyring.subkey(self._legacy, b"mark")  # of the secret, not the root
        self.origin = "random"
        self._use(keyring.new_root())

    def _use(self, root: bytes) -> None:
        self._root = root
        self._hmac_key = self._derive(b"user-key")
        self._web_key = self._derive(b"web-session")
        self._fernet = Fernet(base64.urlsafe_b64encode(self._derive(b"address-seal")))

    def _derive(self, label: bytes) -> bytes:
        return keyring.subkey(self._root, keyring.labelled(self._labels, label))

    # -- the root key ---------------------------------------------------------------------------

    def unlock(self, wrapped: str, scheme: str | None = None) -> None:
        """Use the root key of a keyring row (and its school's labels, when its ``scheme``
        names one); ``keyring.WrongSecret`` if this vault's secret does not open it,
        ``keyring.WrongSchool`` if the row is another school's."""
        named = keyring.scheme_school(scheme)
        if named is not None and named != self.school:
            raise keyring.WrongSchool(
                f"this database is school {named!r}'s, not "
                f"{self.school or 'the single school'!r}: check --school and database.path "
                "(a school's database is never opened as another school)")
        root = keyring.unwrap(self._kek, wrapped)
        self._labels = named
        self._use(root)
        self.origin = "keyring"

    def new_scheme(self, fresh: bool) -> str:
        """The scheme a keyring row filled now records: the vault's school for a database
        that holds nobody yet (``fresh``), else the plain one (its keys exist already)."""
        return keyring.school_scheme(self.school if fresh else None)

    def use_legacy_root(self) -> None:
        """A database made before envelope keys: the root its secret always implied."""
        self._use(self._legacy)
        self.origin = "legacy"

    def wrap_root(self, secret: bytes | None = None) -> str:
        """This vault's root key wrapped under its own secret, or under ``secret`` (rotation)."""
        return keyring.wrap(self._kek if secret is None else keyring.kek(secret), self._root)

    def subkey(self, label: str) -> bytes:
        """A key of its own for another purpose (WhatsApp id hashes; per-school keys)."""
        return self._derive(label.encode())

    def user_key(self, channel: str, platform_user_id: str) -> UserKey:
        digest = hmac.new(self._hmac_key, f"{channel}:{platform_user_id}".encode(), hashlib.sha256)
        return UserKey(digest.hexdigest()[:32])

    def token_hash(self, token: str) -> str:
        """Keyed hash of a secret token (invite codes): a leaked database cannot be brute-forced
        offline without the installation secret."""
        normalized = token.strip().upper().replace("-", "").replace(" ", "")
        return hmac.new(self._hmac_key, b"invite:" + normalized.encode(),
                        hashlib.sha256).hexdigest()

    def web_hash(self, purpose: str, token: str) -> str:
        """Keyed hash of a web sign-in link, session or CSRF token (its own derived key and a
        purpose label): the database holds only these, never a usable token."""
        return hmac.new(self._web_key, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        """A one-way mark of the secret, stored in the database: a different secret is noticed
        at start instead of forking every person into two."""
        key = keyring.subkey(keyring.legacy_root(self._secret_mark), b"fingerprint")
        return hmac.new(key, b"sebaya", hashlib.sha256).hexdigest()[:24]

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def open(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise AddressSealError("cannot open sealed value (secret changed?)") from exc

    def angket_mark(self, angket_id: str, key: UserKey) -> str:
        """A keyed mark of (angket, student), stored only to refuse a second response: a copy
        of the database cannot tell from it who answered."""
        return hmac.new(self._hmac_key, f"angket:{angket_id}:{key.value}".encode(),
                        hashlib.sha256).hexdigest()


def appointment_ref(key: UserKey) -> str:
    """The code of a student's appointments ("J" + four characters): what guru BK sees with a
    name shared for an appointment, and what the student shows at the BK office. Derived from
    the key with its own label, so it cannot be matched to the student's case code (a name
    given for an appointment never identifies their anonymous chats)."""
    digest = hashlib.sha256(f"appointment:{key.value}".encode()).digest()
    return "J" + "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in digest[:4])


def alias_for(key: UserKey, salt: int = 0) -> tuple[str, str]:
    """A friendly pseudonym and a short case code for a student, e.g. ("Kucing Biru", "K7Q2").

    Deterministic from the key (already a keyed hash, so it reveals nothing); ``salt`` gives the
    next candidate when a code collides.
    """
    digest = hashlib.sha256(f"{key.value}:{salt}".encode()).digest()
    name = f"{_ANIMALS[digest[0] % len(_ANIMALS)]} {_COLOURS[digest[1] % len(_COLOURS)]}"
    code = "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in digest[2:6])
    return name, code
