"""A student's first words: what they write before the intake begins (before /start, before the
consent) is the beginning of their story, not a knock on the door. It is screened like any text
(bot/core/core.py) and kept with the words typed at button steps (``said``), so the helper who
takes the case reads it. A bare greeting or "mau curhat" is not kept: it tells the helper
nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core.conversation import SAID, Conversation, Turn, carried
from bot.core.events import Kind
from bot.core.typed import KEPT

_WORD = re.compile(r"[\w']+")
_REPEATS = re.compile(r"(\w)\1{2,}")  # "halooo" -> "halo"
FILLER = frozenset({
    "halo", "hallo", "hello", "helo", "hai", "hay", "hi", "hii", "hey", "hei", "p", "ping",
    "pagi", "siang", "sore", "malam", "malem", "met", "selamat", "assalamualaikum",
    "assalamu'alaikum", "asalamualaikum", "assalamu", "alaikum", "salam", "permisi", "punten",
    "kak", "ka", "kk", "kakak", "min", "admin", "bang", "mbak", "mba", "mas", "bro", "sis",
    "bot", "sebaya", "tes", "test", "testing", "start", "mulai", "menu", "yo", "woi", "oi",
    "aku", "saya", "mau", "pengen", "pingin", "ingin", "boleh", "bisa", "cerita", "curhat",
    "nanya", "tanya", "ngobrol", "dong", "nih", "ya", "yaa", "sih", "ok", "oke", "iya",
    "good", "morning", "i", "want", "to", "talk", "can", "please", "need",
})


def worth_keeping(text: str) -> bool:
    """Whether ``text`` says something of the student's own (not only a greeting)."""
    words = [_REPEATS.sub(r"\1", w) for w in _WORD.findall(text.casefold())]
    return not words or any(w not in FILLER for w in words)


def kept(conv: Conversation, text: str) -> Conversation:
    """The conversation with ``text`` kept for the story (when it is worth keeping)."""
    if not worth_keeping(text):
        return conv
    said = [*conv.vars.get(SAID, []), text][-KEPT:]
    return conv.moved(vars={**conv.vars, SAID: said})


def restarted(turn: Turn, words: str) -> Turn:
    """"/start aku berantem sama temen": the words as a typed text, screened and kept like
    one, to a conversation started afresh (a case open keeps its conversation: they join it).
    A lone word after /start is a link's payload, not a story (core.py leaves it alone)."""
    conv = turn.conversation
    if turn.case is None:
        conv = conv.moved(flow=None, state=None, vars=carried(conv.vars, said=True))
    return replace(turn, kind=Kind.TEXT, text=words, conversation=conv)
