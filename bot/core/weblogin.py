"""/dasbor: a single-use sign-in link to the web view for guru BK, and "/dasbor keluar" to
end every web session. The dispatcher draws the token (the core stays pure); the core decides
whether the person may have it and stores only its keyed hash (IssueWebLink)."""

from __future__ import annotations

import datetime as dt

from bot.core.context import Context
from bot.core.conversation import Outcome, Turn
from bot.core.effects import Audit, EndWebSessions, IssueWebLink, Send
from bot.core.events import Kind
from bot.core.feature import (
    PRINCIPAL,
    STAFF,
    Command,
    Fallback,
    Feature,
    MenuEntry,
    Read,
    refused_to_students,
)
from bot.core.reads import WebLink

LINK_TTL = dt.timedelta(minutes=10)
LINKS_PER_HOUR = 5
WEB_ROLES = ("counselor", "backup", "principal")  # peers have no web access
LOGOUT_WORDS = ("keluar", "logout")


def dasbor(ctx: Context, turn: Turn, args: str) -> Outcome:
    """Send a sign-in link, or sign the person out everywhere (``/dasbor keluar``)."""
    lang = turn.conversation.lang
    key = turn.party.key
    outcome = Outcome(turn.conversation)
    say = outcome.effects.append
    if turn.party.role not in WEB_ROLES:
        say(Send(key, ctx.text("web.counselors_only", lang)))
        say(Audit(key, "web_link_refused", {"reason": "role"}))
        return outcome
    if args.strip().lower() in LOGOUT_WORDS:
        say(EndWebSessions(key))
        say(Send(key, ctx.text("web.logged_out", lang)))
        say(Audit(key, "web_logout_all", {}))
        return outcome
    offer = turn.web_link
    if offer is None or not offer.url:
        say(Send(key, ctx.text("web.not_served", lang)))
        return outcome
    if offer.recent >= LINKS_PER_HOUR:
        say(Send(key, ctx.text("web.throttled", lang, n=LINKS_PER_HOUR)))
        say(Audit(key, "web_link_refused", {"reason": "rate"}))
        return outcome
    say(IssueWebLink(key, offer.token_hash, turn.now + LINK_TTL))
    say(Send(key, ctx.text("web.link", lang, url=offer.url,
                            minutes=int(LINK_TTL.total_seconds() // 60))))
    say(Audit(key, "web_link_issued", {}))
    return outcome


def principal_help(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """The principal uses the chat only to sign in to the web view (report and health):
    /dasbor works, anything else gets this short help (no cases, no alerts, no duty)."""
    name = turn.party.display_name or ""
    return Outcome(turn.conversation, [Send(turn.party.key, ctx.text(
        "web.principal_help", turn.conversation.lang, name=name))])


_LINK = (Read("web_link", lambda ask: WebLink()),)

FEATURE = Feature(
    "weblogin",
    commands=(
        Command("dasbor", dasbor, STAFF, aliases=("dashboard",), reads=_LINK,
                menu=(MenuEntry(("counselor",), 70, "Tautan masuk dasbor web"),)),
        Command("dasbor", dasbor, PRINCIPAL, aliases=("dashboard",), reads=_LINK,
                menu=(MenuEntry(("principal",), 10, "Tautan masuk dasbor web (laporan)"),)),
        Command("help", principal_help, PRINCIPAL,
                menu=(MenuEntry(("principal",), 90, "Bantuan"),)),
        *refused_to_students("dasbor", "dashboard"),
    ),
    fallbacks=(Fallback(PRINCIPAL, tuple(Kind), lambda ctx, turn: principal_help(ctx, turn)),),
)
