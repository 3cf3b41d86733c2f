"""Effects are applied through a registry: every effect type the core may return has exactly
one store operation, and the features declare which messages lose their buttons."""

from __future__ import annotations

import typing

from bot.core import effects
from bot.core.features import standard_registry
from bot.runtime.effects import APPLY, STANDARD_RETRACTABLE, _retract_key


def test_every_effect_type_has_a_store_operation() -> None:
    declared = set(typing.get_args(effects.Effect)) | set(standard_registry().effect_types())
    assert len(declared) > 30  # the union is read, not empty
    assert declared == set(APPLY), declared ^ set(APPLY)


def test_retractable_buttons_come_from_the_declarations() -> None:
    assert set(STANDARD_RETRACTABLE) == {"k:take:", "o:acc:", "ap:ok:", "sw:acc:"}
    assert standard_registry().retractable() == STANDARD_RETRACTABLE
    take = effects.Send(effects.RoleTarget("counselor"), "x",
                        (effects.Button("Saya tangani", "k:take:K7Q2"),))
    plain = effects.Send(effects.RoleTarget("counselor"), "x",
                         (effects.Button("1", "s:3:1"),))
    assert _retract_key(take, STANDARD_RETRACTABLE) == "k:take:K7Q2"
    assert _retract_key(plain, STANDARD_RETRACTABLE) is None
    assert _retract_key(take, ()) is None
