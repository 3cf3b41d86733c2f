"""What the bot says in a group chat before it leaves (channels refuse groups: privacy).

The reply is in both languages (a group has no one language). When the group message carries
crisis words (the same screen as every student text, Core.crisis_words), the reply carries the
hotlines and invites the writer to a private chat; it never repeats their words (the whole
group reads it), and nothing of the message is stored or logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.core import Core


def group_reply(core: Core, text: str, bot_username: str = "") -> str:
    """The one message for the group: a kind refusal, or, with crisis words, care, the
    hotlines and the way to a private chat (``t.me/<bot_username>`` when known)."""
    crisis = core.crisis_words(text) if text else False
    first, *others = dict.fromkeys([core.catalog.default_lang, *core.languages])
    parts = [core.text("group.crisis" if crisis else "group.refuse", first)]  # the hotlines
    parts += [core.text("group.crisis_also" if crisis else "group.refuse", lang)  # once
              for lang in others]
    if bot_username:
        parts.append(core.text("group.private_link", core.catalog.default_lang,
                               username=bot_username))
    return "\n\n".join(parts)
