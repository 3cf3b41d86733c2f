"""Which nicknames a peer may not choose: names that pass for staff or an authority.

A student reads every peer message as "{name} (konselor sebaya)". A peer called "Guru BK",
"Admin" or "Polisi" would be taken for the school counselor, the bot's operator or the police,
and a student might tell them what they would tell only those, or feel threatened. The check is
on words (case-insensitive), and on the letters run together ("GuruBK", "Adm1n" is not caught:
this is a kindness for honest mistakes and a speed bump, not a security boundary).
"""

from __future__ import annotations

import re

RESERVED_WORDS = frozenset({
    # the school's staff and roles
    "guru", "bk", "konselor", "counselor", "counsellor", "wali", "kepsek", "kepala", "tppk",
    "staf", "staff", "petugas", "pembina", "principal", "teacher", "pengawas",
    # titles that make a name an adult's
    "pak", "bu", "bapak", "ibu", "mr", "mrs", "ms", "sir", "miss",
    # the bot and its operators
    "admin", "administrator", "moderator", "mod", "sebaya", "bot", "sistem", "system",
    "resmi", "official", "operator", "support",
    # authorities and professionals a student could take them for
    "polisi", "police", "polri", "polsek", "polres", "tni", "satpam", "dokter", "doctor",
    "psikolog", "psychologist", "psikiater", "perawat", "nurse", "hakim", "jaksa",
})
RESERVED_JOINED = ("gurubk", "admin", "konselor", "counsel", "polisi", "police", "kepsek",
                   "moderator", "psikolog")
_WORD = re.compile(r"[^\W\d_]+")


def impersonates(name: str) -> bool:
    """Whether ``name`` reads as staff, the bot or an authority."""
    folded = name.casefold()
    if any(word in RESERVED_WORDS for word in _WORD.findall(folded)):
        return True
    squashed = "".join(_WORD.findall(folded))
    return any(part in squashed for part in RESERVED_JOINED)
