"""Sign-in by a single-use link from the chat, browser sessions, and who may see what.

A link (``/masuk/<token>``) is shown as a page with a "Masuk" button: opening it (a link
preview, a prefetch) never uses it; only the button's POST does, once, within 10 minutes. The
session cookie holds a random token whose keyed hash is the session's row; it is HttpOnly,
SameSite=Strict, Secure (and ``__Host-``) behind https, and lasts 8 hours at most.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from bot.core.identity import IdentityVault
from bot.core.keys import UserKey
from bot.core.weblogin import WEB_ROLES
from bot.store import audit, users, web
from bot.store.db import Store

log = logging.getLogger("sebaya.web")

SESSION_TTL = dt.timedelta(hours=8)
ROLE_PAGES = {  # which pages each role may open (peers and students: none)
    "counselor": frozenset({"live", "cases", "report", "health", "staff"}),
    "backup": frozenset({"live", "cases", "report", "health", "staff"}),
    "principal": frozenset({"report", "health"}),  # figures only: no case, no student's words
}
HOME = {"principal": "/laporan"}  # where each role lands (default: Live)
assert set(ROLE_PAGES) == set(WEB_ROLES)


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member: key, role, name as the chat shows it, and the CSRF token."""

    key: UserKey
    role: str
    name: str
    csrf: str
    session_hash: str
    lang: str = ""  # the chat language (the page language unless the switch says otherwise)

    def may(self, page: str) -> bool:
        return page in ROLE_PAGES.get(self.role, frozenset())


def cookie_name(secure: bool) -> str:
    return "__Host-sebaya" if secure else "sebaya"


class Sessions:
    """Links and sessions over the store, with the injected clock."""

    def __init__(self, store: Store, vault: IdentityVault, clock) -> None:
        self.store, self.vault, self.clock = store, vault, clock

    async def link_state(self, token: str) -> tuple[str, str]:
        """The link's state (ok, used, expired, unknown) and its owner's chat language ("" if
        unknown), without using it."""
        token_hash = self.vault.web_hash("link", token)
        async with self.store.read() as db:
            state = await web.link_state(db, token_hash, self.clock.now())
            owner = await web.link_owner(db, token_hash) if state == "ok" else None
            user = await users.get(db, owner) if owner is not None else None
        return state, user.lang if user is not None else ""

    async def sign_in(self, token: str) -> str | None:
        """Use the link and start a session: the new session token, or None (unknown, used,
        expired, or its owner is no longer guru BK). Audited either way."""
        now = self.clock.now()
        token_hash = self.vault.web_hash("link", token)
        async with self.store.transaction() as db:
            owner = await web.use_link(db, token_hash, now)
            user = await users.get(db, owner) if owner is not None else None
            if user is None or user.role not in WEB_ROLES:
                # a used or expired link is audited for its owner; a made-up token is not
                # (a flood of guesses must not grow the audit log)
                known = owner or await web.link_owner(db, token_hash)
                if known is not None:
                    await audit.record(db, known.value, "web_signin_refused", {}, now)
                else:
                    log.info("web sign-in with an unknown link refused")
                return None
            session = secrets.token_urlsafe(32)
            await web.purge(db, now)
            await web.start_session(db, self.vault.web_hash("session", session), user.key, now,
                                    now + SESSION_TTL)
            await audit.record(db, user.key.value, "web_signin", {}, now)
        return session

    async def viewer(self, session: str | None) -> Viewer | None:
        """Who holds this session cookie now (the role is read afresh on every request: a
        removed counselor loses the web view at once)."""
        if not session or len(session) > 128:
            return None
        session_hash = self.vault.web_hash("session", session)
        async with self.store.read() as db:
            key = await web.session_user(db, session_hash, self.clock.now())
            user = await users.get(db, key) if key is not None else None
        if user is None or user.role not in ROLE_PAGES:
            return None
        return Viewer(user.key, user.role, user.display_name or user.pseudonym or user.alias,
                      self.vault.web_hash("csrf", session), session_hash, user.lang)

    async def sign_out(self, viewer: Viewer) -> None:
        async with self.store.transaction() as db:
            await web.end_session(db, viewer.session_hash)
            await audit.record(db, viewer.key.value, "web_signout", {}, self.clock.now())
