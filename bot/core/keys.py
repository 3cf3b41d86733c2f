"""Pseudonymous keys. The core never sees a platform id, only these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserKey:
    """A person (student or staff) as HMAC(secret, channel:platform_user_id), hex."""

    value: str

    def __str__(self) -> str:
        return self.value[:12]


SYSTEM = UserKey("system")  # owner of timers that belong to nobody (retention)


@dataclass(frozen=True, slots=True)
class RoleTarget:
    """A staff group: peer, counselor, backup, on_duty_counselors, all_counselors, crisis_team,
    counselors_only (counselors and nobody else: a notice, never passed on to backup).

    Crisis groups never resolve to nobody while any counselor or backup exists: on-duty
    counselors fall back to all counselors, then to backup contacts (and backup to counselors).
    """

    role: str
    exclude: UserKey | None = None
