"""The standard features of a Sebaya installation, in one list the composition root passes
to ``Core`` (nothing registers itself on import). A new feature module is added here."""

from __future__ import annotations

from bot.core import (
    angket,
    appointments,
    ask,
    commands,
    crisis,
    delivery,
    enrol,
    groups,
    handoff,
    held,
    language,
    practice,
    requeue,
    shifts,
    staff,
    supervision,
    training,
    weblogin,
    wellbeing,
)
from bot.core.feature import Feature, Registry

FEATURES: tuple[Feature, ...] = tuple(module.FEATURE for module in (
    commands, appointments, groups, handoff, crisis, ask, requeue, delivery, enrol, training,
    practice, supervision, staff, held, weblogin, angket, language, shifts, wellbeing))


def standard_registry() -> Registry:
    """The standard features without the flows' own (for tools that need no flows)."""
    return Registry(FEATURES)
