"""The store's SQL, as PostgreSQL reads it.

The queries in ``bot/store/*.py`` are hand-written once, in the subset both databases share;
this module bridges the few places where SQLite's spelling differs, each named below, so a
query reads the same in both and a difference is fixed in one place:

* placeholders: ``?``, ``?N`` and ``:name`` become ``$N``;
* ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``;
* ``x IS ?`` / ``x IS NOT 'held'`` become ``IS [NOT] DISTINCT FROM``;
* ``json_each(?)`` (a JSON list parameter) becomes ``json_array_elements_text``;
* the blob literal ``X''`` becomes an empty ``bytea``;
* an ``INSERT`` into a table with an ``id`` gets ``RETURNING id`` (SQLite's ``lastrowid``);
* ``ON CONFLICT (cols)`` becomes ``ON CONFLICT (school, cols)``: on PostgreSQL every key is
  per school (migration 008; a SQLite file is one school's), so the conflict target names it
  (``per_school=False``: a schema from before 008, as tests of old databases have);
* sealing: on SQLite ``seal()``/``unseal()`` are SQL functions registered on the connection.
  PostgreSQL must never see the key, so ``seal(?)`` marks a parameter that is sealed in Python
  before the query is sent, and ``unseal(col) AS name`` (or ``json_extract(unseal(col),
  '$.field') AS name``) marks a result column opened in Python after it is read.

Anything else SQLite-only is an error here (``Unsupported``), never a silent difference.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Tables whose rows have an identity id (what SQLite's lastrowid gives back).
ID_TABLES = frozenset({
    "inbox", "cases", "case_messages", "outbox", "timers", "audit", "invites", "offers",
    "surveys", "staff_notes", "appointments", "group_sessions"})


class Unsupported(Exception):
    """A query uses SQLite syntax this module does not translate."""


@dataclass(frozen=True)
class Translated:
    """A query for PostgreSQL: its text, how to build its arguments, what to open after."""

    sql: str
    order: tuple[int | str, ...]  # source argument (index or name) for each $N
    sealed: frozenset[int]  # $N (1-based) whose value is sealed before sending
    opened: tuple[tuple[str, str | None], ...]  # (column, JSON field or None) to unseal
    returns_id: bool  # RETURNING id was added: the cursor's lastrowid
    tables: frozenset[str]  # the table this statement inserts into (for NOTIFY at commit)


_STRING = re.compile(r"'(?:[^']|'')*'")
_PARAM = re.compile(r"\?(\d+)?|(?<![:\w]):([A-Za-z_]\w*)")
_SEAL = re.compile(r"\bseal\(\$(\d+)\)", re.IGNORECASE)
_UNSEAL = re.compile(r"\bunseal\(([\w.]+)\)\s+AS\s+(\w+)", re.IGNORECASE)
_UNSEAL_JSON = re.compile(  # the path literal is hidden by then: '__sN__'
    r"\bjson_extract\(unseal\(([\w.]+)\),\s*'__s(\d+)__'\)\s+AS\s+(\w+)", re.IGNORECASE)
_UNSEAL_BARE = re.compile(  # a whole select-list item: after SELECT or a comma
    r"(\bSELECT\s+|,\s*)unseal\(([\w.]+)\)(?=\s*(?:,|FROM\b))", re.IGNORECASE)
_JSON_EACH = re.compile(r"\bjson_each\((\$\d+)\)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(NOT\s+)?(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b|NOT\b)",
                 re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_CONFLICT = re.compile(r"\bON\s+CONFLICT\s*\((?!\s*school\b)", re.IGNORECASE)
_SQLITE_ONLY = re.compile(r"\b(?:INSERT\s+OR\s+REPLACE|typeof|json_extract|unseal|"
                          r"datetime|strftime|julianday|PRAGMA|sqlite_master)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def translate(sql: str, per_school: bool = True) -> Translated:
    """The PostgreSQL form of one of the store's queries (cached: queries are constants)."""
    literals: list[str] = []

    def hide(match: re.Match) -> str:  # string literals are never rewritten
        literals.append(match.group(0))
        return f"'__s{len(literals) - 1}__'"

    text = _STRING.sub(hide, sql)
    order: list[int | str] = []
    numbered: dict[int | str, int] = {}

    def param(match: re.Match) -> str:
        number, name = match.group(1), match.group(2)
        source: int | str
        if name is not None:
            source = name
        elif number is not None:
            source = int(number) - 1
        else:
            source = len(order)  # a plain ? takes the next argument
            order.append(source)
            return f"${len(order)}"
        if source not in numbered:
            order.append(source)
            numbered[source] = len(order)
        return f"${numbered[source]}"

    text = _PARAM.sub(param, text)
    sealed = frozenset(int(n) for n in _SEAL.findall(text))
    text = _SEAL.sub(r"$\1", text)
    opened: list[tuple[str, str | None]] = []

    def unseal_json(match: re.Match) -> str:
        path = literals[int(match.group(2))].strip("'")
        if not re.fullmatch(r"\$\.\w+", path):
            raise Unsupported(f"json path {path} in: {sql[:120]}")
        opened.append((match.group(3), path[2:]))
        return f"{match.group(1)} AS {match.group(3)}"

    def unseal(match: re.Match) -> str:
        opened.append((match.group(2), None))
        return f"{match.group(1)} AS {match.group(2)}"

    def unseal_bare(match: re.Match) -> str:  # a select-list column read by position
        name = f"unsealed_{len(opened)}"
        opened.append((name, None))
        return f"{match.group(1)}{match.group(2)} AS {name}"

    text = _UNSEAL_JSON.sub(unseal_json, text)
    text = _UNSEAL.sub(unseal, text)
    text = _UNSEAL_BARE.sub(unseal_bare, text)
    text = _JSON_EACH.sub(r"json_array_elements_text(CAST(\1 AS json))", text)
    text = _IS.sub(lambda m: "IS NOT DISTINCT FROM " if not m.group(1)
                   else "IS DISTINCT FROM ", text)
    if per_school:
        text = _CONFLICT.sub("ON CONFLICT (school, ", text)
    text = re.sub(r"\bX'__s(\d+)__'", lambda m: "'\\x'::bytea"
                  if literals[int(m.group(1))] == "''" else m.group(0), text)
    if _SQLITE_ONLY.search(text):
        raise Unsupported(f"SQLite-only syntax in: {sql[:120]}")
    returns_id = False
    insert = _INSERT.match(text)
    if insert:
        if insert.group(1):
            text = _INSERT.sub(lambda m: f"INSERT INTO {m.group(2)}", text, count=1)
            text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
        if insert.group(2).lower() in ID_TABLES and "RETURNING" not in text.upper():
            text = text.rstrip().rstrip(";") + " RETURNING id"
            returns_id = True
    # new rows wake other workers; updates and deletes are their own worker's business (its
    # loops know), so a handled event does not wake every worker's sweep
    tables = frozenset({insert.group(2).lower()} if insert else ())
    text = re.sub(r"'__s(\d+)__'", lambda m: literals[int(m.group(1))], text)
    return Translated(text, tuple(order), sealed, tuple(opened), returns_id, tables)
