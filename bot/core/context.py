"""What a feature may use to decide: texts, the risk screen, the flows' entry points, policy.

Feature modules take a ``Context`` (``Core`` is one), never ``Core`` itself, so no feature
imports the core and ``bot/core`` has no import cycle (``tests/core/test_imports.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.conversation import Conversation, Outcome, Turn
from bot.core.events import Button

if TYPE_CHECKING:
    from bot.core.coaching import Coaching
    from bot.core.policy import Policy
    from bot.core.practice import Practice
    from bot.core.training import Training
    from bot.engine.catalog import Catalog


class RiskVerdict(Protocol):
    level: str  # none | concern | crisis
    categories: list[str]
    rules: list[str]


class RiskScreen(Protocol):
    """Screens one student text (bot.risk.detector.Detector fits)."""

    def screen(self, text: str) -> RiskVerdict: ...


class Context(Protocol):
    """The narrow view of the core that feature modules decide with."""

    catalog: Catalog
    languages: tuple[str, ...]
    flows: Mapping[str, Any]  # flow name -> machine (only its presence matters to features)
    risk: RiskScreen | None
    coaching: Coaching | None  # rules for peers' messages (bot/core/coaching.py)
    training: Training | None  # modules before a peer's first shift (bot/core/training.py)
    practice: Practice | None  # scripted students to practise with (bot/core/practice.py)
    angkets: Mapping[str, Any]  # needs surveys by id (bot/core/angket.py)
    policy: Policy  # the school's rules (bot/core/policy.py)

    def context(self, lang: str) -> Mapping[str, Any]:
        """The values every text may use (school, hotlines ...)."""

    def text(self, key: str, lang: str, **values: Any) -> str:
        """A catalog text in ``lang`` with the context's and these values filled in."""

    def say(self, outcome: Outcome, turn: Turn, key: str, buttons: tuple[Button, ...] = (),
            **values: Any) -> None:
        """Add a message with that text to the person of ``turn``."""

    def who(self, route: str, lang: str) -> str:
        """"Konselor sebaya" or "Guru BK", for a case's route."""

    def reprompt(self, outcome: Outcome, conv: Conversation) -> None:
        """Show the current flow step's prompt and buttons again (nothing when idle)."""

    def start(self, turn: Turn, conv: Conversation | None = None) -> Outcome:
        """Begin the start flow afresh."""

    def start_flow_named(self, turn: Turn, name: str, conv: Conversation | None = None
                         ) -> Outcome:
        """Begin the flow ``name`` from its first state."""

    def crisis_words(self, text: str) -> bool:
        """Whether the screen reads ``text`` as a crisis."""
