"""What the bot says in a group chat before it leaves (channels refuse groups: privacy).

The reply is in both languages (a group has no one language). When the group message carries
crisis words (the same screen as every student text, Core.crisis_words), the reply carries the
hotlines and invites the writer to a private chat; it never repeats their words (the whole
group reads it), and nothing of the message is stored or logged.
"""

from __future__ import annotations

from bot.core.context import Context


def group_reply(ctx: Context, text: str, bot_username: str = "") -> str:
    """The one message for the group: a kind refusal, or, with crisis words, care, the
    hotlines and the way to a private chat (``t.me/<bot_username>`` when known)."""
    crisis = ctx.crisis_words(text) if text else False
    first, *others = dict.fromkeys([ctx.catalog.default_lang, *ctx.languages])
    parts = [ctx.text("group.crisis" if crisis else "group.refuse", first)]  # the hotlines
    parts += [ctx.text("group.crisis_also" if crisis else "group.refuse", lang)  # once
              for lang in others]
    if bot_username:
        parts.append(ctx.text("group.private_link", ctx.catalog.default_lang,
                               username=bot_username))
    return "\n\n".join(parts)
