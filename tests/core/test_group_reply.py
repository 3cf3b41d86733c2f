"""What the bot says in a group before leaving (bot/core/public_chat.py): a kind refusal in
id and en; with crisis words, care, the hotlines and a private chat, and never the words."""

from __future__ import annotations

from bot.app import App
from bot.core.public_chat import group_reply


def test_a_plain_group_message_gets_the_refusal_in_both_languages(app: App) -> None:
    reply = group_reply(app.core, "halo semua")
    assert "hanya bisa dipakai lewat chat pribadi" in reply
    assert "only works in private chat" in reply and "119" not in reply


def test_crisis_words_in_a_group_get_the_hotlines_once_and_no_words_repeated(app: App) -> None:
    words = "aku mau mati aja, udah ga kuat"
    reply = group_reply(app.core, words, "SebayaBot")
    assert reply.count("119 ext 8") == 1  # once, not once per language
    assert "kamu nggak sendirian" in reply and "you are not alone" not in reply
    assert "private chat" in reply and "t.me/SebayaBot" in reply
    assert "mati" not in reply and "kuat" not in reply


def test_english_crisis_words_in_a_group_get_the_hotlines(app: App) -> None:
    assert "119 ext 8" in group_reply(app.core, "I want to kill myself tonight")
