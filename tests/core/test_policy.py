"""One policy object: everything the core decides with comes from config.yaml through
Policy.from_config."""

from __future__ import annotations

import datetime as dt
import inspect

from bot.config import Config
from bot.core.core import Core
from bot.core.policy import Policy


def test_the_policy_is_built_from_the_config(config: Config) -> None:
    policy = Policy.from_config(config)
    assert policy.tz == config.tz
    assert policy.peer_capacity == config.roster.peer_capacity
    assert policy.offer_timeout == dt.timedelta(minutes=config.roster.offer_timeout_minutes)
    assert [s.minutes for s in policy.ladder] == [
        level.timeout_minutes for level in config.escalation.ladder]
    assert policy.retention_days == (config.retention.light_case_days,
                                     config.retention.crisis_case_days,
                                     config.retention.processed_inbox_days)
    assert policy.appointments.days_ahead == config.appointments.days_ahead
    assert policy.approval_valid == dt.timedelta(days=config.training.approval_days)
    assert policy.max_text_chars == config.limits.max_text_chars
    assert policy.roster is not None and policy.roster.tz == config.tz


def test_core_takes_one_policy_not_twenty_arguments() -> None:
    parameters = set(inspect.signature(Core).parameters)
    assert "policy" in parameters
    assert not parameters & {"tz", "ladder", "peer_capacity", "offer_timeout", "teams"}
    assert len(parameters) <= 13  # content (flows, texts, coaching, training, practice,
    # angkets) and policy


def test_a_new_roster_replaces_the_policys(app) -> None:
    old = app.core.policy
    app.core.roster = None
    assert app.core.policy.roster is None and app.core.roster is None
    assert app.core.policy.peer_capacity == old.peer_capacity
