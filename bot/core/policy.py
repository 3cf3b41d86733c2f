"""One policy object: every number and rule the core decides with, built from config.yaml.

``Policy.from_config`` is the only place that reads the configuration's shape; the core and
its features read ``ctx.policy`` (capacity, time-outs, the ladder, limits, retention, the
appointment rules, the teams told of a crisis category, the roster).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.roster import Roster, roster_from

if TYPE_CHECKING:
    from bot.config import Config


@dataclass(frozen=True)
class LadderStep:
    """A level of guru BK's alert ladder: who is alerted, and how long until the next."""

    target: str  # on_duty_counselors | all_counselors | backup
    minutes: int


@dataclass(frozen=True)
class AppointmentPolicy:
    """When appointments may be booked, where, and how early the reminder comes."""

    slots: tuple[dt.time, ...] = (dt.time(9), dt.time(11), dt.time(13))
    days_ahead: int = 3  # school days offered, from tomorrow
    place: str = ""
    reminder: dt.timedelta = dt.timedelta(minutes=60)


@dataclass(frozen=True)
class ShiftPolicy:
    """Peers' commitment to their shifts (bot/core/shifts.py) and the check-in after a heavy
    case (bot/core/wellbeing.py)."""

    capacity: int = 2  # peers per shift
    reminder: dt.timedelta = dt.timedelta(minutes=30)  # before the shift
    no_show: dt.timedelta = dt.timedelta(minutes=15)  # into it, not on duty: a reminder
    escalate_after: dt.timedelta = dt.timedelta(minutes=15)  # ... then guru BK is told
    checkin: dt.timedelta = dt.timedelta(minutes=10)  # after a heavy case closed
    long_case: dt.timedelta = dt.timedelta(minutes=60)  # a case this long counts as heavy


@dataclass(frozen=True)
class Policy:
    """The school's rules, as the core reads them."""

    tz: dt.tzinfo = dt.UTC
    max_text_chars: int = 2000
    flow_idle: dt.timedelta = dt.timedelta(minutes=30)
    ladder: tuple[LadderStep, ...] = (LadderStep("all_counselors", 5),)
    roster: Roster | None = None
    peer_capacity: int = 1
    offer_timeout: dt.timedelta = dt.timedelta(minutes=10)
    idle_reminder: dt.timedelta = dt.timedelta(minutes=60)
    idle_close: dt.timedelta = dt.timedelta(hours=4)
    flood_limit: int = 20  # student messages relayed one by one per minute
    light_reminder: dt.timedelta = dt.timedelta(minutes=60)  # a light case waiting for guru
    # BK is recalled this often
    retention_days: tuple[int, int, int] = (90, 365, 7)  # light cases, crisis records, rows
    appointments: AppointmentPolicy = AppointmentPolicy()
    approval_valid: dt.timedelta = dt.timedelta(days=183)  # then a refresher, a new approval
    practice_required: bool = False  # a finished practice chat is part of the training gate
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # crisis category ->
    # staff roles told besides guru BK (bot/core/tppk.py)
    shifts: ShiftPolicy = ShiftPolicy()

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        """The policy of config.yaml."""
        return cls(
            tz=config.tz,
            max_text_chars=config.limits.max_text_chars,
            flow_idle=dt.timedelta(minutes=config.limits.flow_idle_minutes),
            ladder=tuple(LadderStep(level.notify, level.timeout_minutes)
                         for level in config.escalation.ladder),
            roster=roster_from(config.roster.shifts, config.roster.holidays, config.tz),
            peer_capacity=config.roster.peer_capacity,
            offer_timeout=dt.timedelta(minutes=config.roster.offer_timeout_minutes),
            retention_days=(config.retention.light_case_days,
                            config.retention.crisis_case_days,
                            config.retention.processed_inbox_days),
            appointments=AppointmentPolicy(
                tuple(config.appointments.slots), config.appointments.days_ahead,
                config.appointments.place or config.school.bk_office,
                dt.timedelta(minutes=config.appointments.reminder_minutes)),
            approval_valid=dt.timedelta(days=config.training.approval_days),
            practice_required=config.training.practice_required,
            teams={c: tuple(t) for c, t in config.escalation.categories.items()},
            shifts=ShiftPolicy(
                config.roster.shift_capacity,
                dt.timedelta(minutes=config.roster.reminder_minutes),
                dt.timedelta(minutes=config.roster.no_show_minutes),
                dt.timedelta(minutes=config.roster.no_show_escalate_minutes),
                dt.timedelta(minutes=config.roster.checkin_minutes),
                dt.timedelta(minutes=config.roster.long_case_minutes)),
        )
