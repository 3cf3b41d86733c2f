"""A peer's own words screened like a student's: peers are students too.

A peer supporter's message that reads as a crisis (a death wish, a method, "let's do it
together") never reaches the student it was written to: it is held, the peer is told why with
the hotlines for themselves, and the case goes to guru BK through the crisis ladder, as a peer's
``/eskalasi`` would (the ladder is durable and acknowledged; a guru BK reads the held words in
the alert). A peer who writes such words to the bot outside any case is answered with care and
the hotlines, and guru BK is told at once (a one-time notice to counselors and backup: there is
no student case to climb a ladder on). Guru BK only ever sees the peer's pseudonym and name,
which staff know anyway; nothing about any student is added.

A peer's message is a crisis only when a rule matched its words (the student's words quoted,
"dia bilang mau bunuh diri", count): the learned model alone never holds it nor raises a case
(it read "ig kamu apa? biar aku follow" as suicide). Such a message goes on to coaching.
"""

from __future__ import annotations

from bot.core import crisis, handoff
from bot.core.context import Context
from bot.core.conversation import Outcome, Turn
from bot.core.effects import PRIORITY_CRISIS, Audit, CaseMessage, Send
from bot.core.keys import RoleTarget
from bot.core.localized import staff_text


def rule_crisis(ctx: Context, text: str) -> bool:
    """Whether a peer's ``text`` is a crisis by a rule's match, not by the model alone."""
    if not ctx.crisis_words(text):
        return False
    verdict = ctx.risk.screen(text) if ctx.risk is not None else None
    return verdict is None or not getattr(verdict, "by_model", False)


def before_relay(ctx: Context, turn: Turn, text: str) -> Outcome | None:
    """A peer's message to the student of ``turn.case``: an Outcome holding it back and
    escalating the case when it reads as a crisis, else None (relay as usual)."""
    case = turn.case
    if turn.party.role != "peer" or case is None or not rule_crisis(ctx, text):
        return None
    reason = ctx.text("peer_risk.reason", ctx.catalog.default_lang,
                       excerpt=crisis.quoted(crisis.risky_excerpt(ctx, text)))  # its risky words
    outcome = handoff.escalate(ctx, turn, reason, peer_text="peer_risk.held", quote=reason)
    outcome.effects += [
        CaseMessage(case.id, turn.party.role, text),  # in the transcript, for guru BK
        Audit(turn.party.key, "peer_message_held_risk", {"code": case.code}),
    ]
    return outcome


def unrouted(ctx: Context, turn: Turn, text: str) -> Outcome | None:
    """A peer (or any staff member) writing crisis words to the bot outside a case: care and
    the hotlines for them, and guru BK told at once. None when the words carry no crisis."""
    if turn.party.role not in ("peer", "tppk") or not rule_crisis(ctx, text):
        return None
    return noticed(ctx, turn, text)


def noticed(ctx: Context, turn: Turn, text: str) -> Outcome:
    """Care and the hotlines for the staff member of ``turn``, and guru BK told at once with
    ``text`` quoted (also when a peer in the practice chat says their words were about
    themselves: bot/core/practice.py)."""
    lang = turn.conversation.lang
    name = turn.party.display_name or turn.party.pseudonym or turn.party.alias
    notice = staff_text(ctx, "peer_risk.self_notice", name=name,
                        role=staff_text(ctx, f"role.{turn.party.role}"),
                        excerpt=crisis.quoted(crisis.risky_excerpt(ctx, text)))
    return Outcome(turn.conversation, [
        Send(turn.party.key, ctx.text("peer_risk.self", lang), priority=PRIORITY_CRISIS),
        Send(RoleTarget("crisis_team", exclude=turn.party.key), notice,
             priority=PRIORITY_CRISIS),
        Audit(turn.party.key, "staff_risk_noticed", {"role": turn.party.role}),
    ])
