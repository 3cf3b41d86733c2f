"""Anonymity by construction: pseudonymous keys, aliases, and the sealed reply address.

One installation secret derives two independent keys (HKDF with distinct labels): one for the
HMAC that turns ``channel:platform_user_id`` into a UserKey, one for Fernet, which encrypts reply
addresses and raw inbox payloads at rest. Only the outbox and the inbox replay ever decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sebaya-v1", info=label).derive(secret)


class IdentityVault:
    """Derives keys and aliases, seals and opens addresses."""

    def __init__(self, secret: bytes) -> None:
        self._hmac_key = _derive(secret, b"user-key")
        self._secret_mark = _derive(secret, b"mark")
        self._web_key = _derive(secret, b"web-session")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"address-seal")))

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
        return hmac.new(_derive(self._secret_mark, b"fingerprint"), b"sebaya",
                        hashlib.sha256).hexdigest()[:24]

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
