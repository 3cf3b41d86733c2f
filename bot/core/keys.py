"""Pseudonymous keys. The core never sees a platform id, only these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserKey:
    """A person (student or staff) as HMAC(secret, channel:platform_user_id), hex."""

    value: str

    def __str__(self) -> str:
        return self.value[:12]


@dataclass(frozen=True, slots=True)
class RoleTarget:
    """Everybody enrolled in a staff role (peer, counselor, backup)."""

    role: str
