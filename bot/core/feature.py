"""How a feature declares itself: its commands, buttons and timer kinds, and what each reads.

A feature module ends with one ``FEATURE = Feature(...)``. Each entry names the pure function
that decides and the reads it needs, as small declarative queries (``bot/core/reads.py``): the
dispatcher runs the declared reads inside the event's transaction and knows no command name,
button prefix or timer kind. The command menus of the channels come from the same entries.
Nothing registers itself on import: the composition root passes the features to ``Core``
(``bot/core/features.py`` lists the standard ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.context import Context
from bot.core.conversation import CaseView, Conversation, Outcome, Party, Turn
from bot.core.effects import Audit
from bot.core.events import CommandMenus, Kind
from bot.core.textclean import command_name

STUDENT, STAFF, PRINCIPAL = "student", "staff", "principal"  # audiences
COUNSELORS = ("counselor", "backup")
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def audience_of(role: str) -> str:
    """Which commands and buttons a role sees: a student's, the principal's, or staff's."""
    return role if role in (STUDENT, PRINCIPAL) else STAFF


@dataclass(frozen=True)
class Ask:
    """What a declared read may look at to build its query: the event, not the database."""

    role: str
    kind: Kind | None  # None for a timer
    name: str = ""  # a command's name as typed (lower case), else ""
    args: str = ""  # a command's words after the name
    data: str = ""  # a button's data
    now: dt.datetime = _NEVER
    tz: dt.tzinfo = dt.UTC
    peer_capacity: int = 1
    timer: str = ""  # a timer's kind
    payload: Mapping[str, Any] = field(default_factory=dict)  # a timer's payload
    text: str = ""  # a text event's words (for a fallback's reads)


@dataclass(frozen=True)
class Read:
    """One thing a handler needs: ``query(ask)`` gives a query of ``bot/core/reads.py`` (or
    None: nothing to read this time); its result lands in the turn's field ``into`` (or in
    ``Turn.reads[into]`` for a field the turn does not have; a tuple of names spreads a tuple
    result). ``roles``: only for these roles (empty: everybody the entry serves)."""

    into: str | tuple[str, ...]
    query: Callable[[Ask], object | None]
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MenuEntry:
    """A line of the command menu of ``roles`` (``rank`` orders the menu), in id and en (en
    empty: the id text; staff menus are in Indonesian only)."""

    roles: tuple[str, ...]
    rank: int
    id: str
    en: str = ""


CommandHandler = Callable[[Context, Turn, str], Outcome]  # (context, turn, the command's words)
ButtonHandler = Callable[[Context, Turn], Outcome]


@dataclass(frozen=True)
class Command:
    """A chat command of one audience. ``roles``: who of that audience may use it (empty:
    all); the others get ``refuse`` (and nothing is read for them)."""

    name: str
    run: CommandHandler
    audience: str = STUDENT
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    refuse: CommandHandler | None = None
    reads: tuple[Read, ...] = ()
    menu: tuple[MenuEntry, ...] = ()


@dataclass(frozen=True)
class ButtonRoute:
    """The buttons whose data starts with ``prefix``, pressed by someone of ``audience``
    (the longest matching prefix wins)."""

    prefix: str
    run: ButtonHandler
    audience: str = STUDENT
    reads: tuple[Read, ...] = ()


@dataclass(frozen=True)
class TimerTurn:
    """A durable timer of one person fired: what the handler decides from."""

    conversation: Conversation
    party: Party
    kind: str
    payload: dict
    now: dt.datetime
    case: CaseView | None = None  # the person's open case, with its offers and place
    peers: tuple[Party, ...] = ()
    alertable: bool = True
    reads: Mapping[str, Any] = field(default_factory=dict)


TimerHandler = Callable[[Context, TimerTurn], Outcome | list]  # effects, or a whole Outcome


@dataclass(frozen=True)
class TimerKind:
    """A timer kind: ``kind`` itself, or with ``family`` also ``kind:anything``. ``context``
    says what its messages to a student are for channels with a reply window (``reminder``,
    ``queue``); ``urgent``: what it queues goes through the sender's urgent lane at once;
    ``system``: a timer of nobody in particular (``run(ctx, now)`` -> effects)."""

    kind: str
    run: TimerHandler | Callable[[Context, dt.datetime], list]
    family: bool = False
    reads: tuple[Read, ...] = ()
    context: str = ""
    urgent: bool = False
    system: bool = False


@dataclass(frozen=True)
class Fallback:
    """What an audience's events of ``kinds`` go to when no command or button matches them
    (text always comes here): ``run(ctx, turn)``."""

    audience: str
    kinds: tuple[Kind, ...]
    run: ButtonHandler
    reads: tuple[Read, ...] = ()


@dataclass(frozen=True)
class Feature:
    """One room: everything a feature adds to the chat, in one declaration."""

    name: str
    commands: tuple[Command, ...] = ()
    buttons: tuple[ButtonRoute, ...] = ()
    timers: tuple[TimerKind, ...] = ()
    fallbacks: tuple[Fallback, ...] = ()
    retractable: tuple[str, ...] = ()  # first-button prefixes of messages whose keyboard is
    # removed once somebody answered (offers, alerts, requests: RetractButtons)
    effects: tuple[type, ...] = ()  # effect types of its own (besides bot/core/effects.py),
    # each applied by a store operation in bot/runtime/effects.py


class Registry:
    """The features of one installation, looked up by audience and name, prefix or kind."""

    def __init__(self, features: Iterable[Feature]) -> None:
        self.features = tuple(features)
        self._commands: dict[tuple[str, str], Command] = {}
        self._buttons: list[ButtonRoute] = []
        self._timers: dict[str, TimerKind] = {}
        self._fallbacks: dict[tuple[str, Kind], Fallback] = {}
        for feature in self.features:
            for fallback in feature.fallbacks:
                for kind in fallback.kinds:
                    if (fallback.audience, kind) in self._fallbacks:
                        raise ValueError(f"{feature.name}: a second fallback for "
                                         f"{fallback.audience} {kind.value}")
                    self._fallbacks[(fallback.audience, kind)] = fallback
            for command in feature.commands:
                for name in (command.name, *command.aliases):
                    key = (command.audience, name)
                    if key in self._commands:
                        raise ValueError(f"{feature.name}: /{name} for {command.audience} is "
                                         f"declared twice")
                    self._commands[key] = command
            for button in feature.buttons:
                if any((b.prefix, b.audience) == (button.prefix, button.audience)
                       for b in self._buttons):
                    raise ValueError(f"{feature.name}: button {button.prefix!r} for "
                                     f"{button.audience} is declared twice")
                self._buttons.append(button)
            for timer in feature.timers:
                if timer.kind in self._timers:
                    raise ValueError(f"{feature.name}: timer {timer.kind!r} declared twice")
                self._timers[timer.kind] = timer
        self._buttons.sort(key=lambda b: -len(b.prefix))  # the longest prefix first

    def effect_types(self) -> tuple[type, ...]:
        """The effect types the features declared besides bot/core/effects.py's."""
        return tuple(t for feature in self.features for t in feature.effects)

    def retractable(self) -> tuple[str, ...]:
        """Every feature's retractable first-button prefixes."""
        return tuple(p for feature in self.features for p in feature.retractable)

    def fallback(self, audience: str, kind: Kind) -> Fallback | None:
        return self._fallbacks.get((audience, kind))

    def command(self, audience: str, name: str) -> Command | None:
        return self._commands.get((audience, name))

    def commands(self) -> tuple[Command, ...]:
        return tuple(dict.fromkeys(self._commands.values()))

    def names(self, audience: str) -> frozenset[str]:
        """Every command name and alias an audience can type."""
        return frozenset(name for who, name in self._commands if who == audience)

    def button(self, audience: str, data: str) -> ButtonRoute | None:
        return next((b for b in self._buttons
                     if b.audience == audience and data.startswith(b.prefix)), None)

    def timer(self, kind: str) -> TimerKind | None:
        found = self._timers.get(kind)
        if found is None and ":" in kind:
            found = self._timers.get(kind.partition(":")[0])
            found = found if found is not None and found.family else None
        return found

    def timer_urgent(self, kind: str) -> bool:
        timer = self.timer(kind)
        return timer is not None and timer.urgent

    def timer_context(self, kind: str) -> str:
        """What a timer's messages are (``reminder``, ``queue`` or "")."""
        timer = self.timer(kind)
        return timer.context if timer is not None else ""

    def entry(self, role: str, kind: Kind, name: str = "", data: str = ""
              ) -> Command | ButtonRoute | None:
        """The command (by ``name``) or button (by ``data``) an event of this role goes to,
        if one is declared."""
        if kind is Kind.COMMAND:
            return self.command(audience_of(role), name)
        if kind is Kind.BUTTON:
            return self.button(audience_of(role), data)
        return None

    def reads(self, ask: Ask) -> list[tuple[str | tuple[str, ...], object]]:
        """The queries the event (or timer) ``ask`` describes needs: (into, query) pairs."""
        if ask.kind is None:
            timer = self.timer(ask.timer)
            declared: Sequence[Read] = timer.reads if timer is not None else ()
        else:
            entry = self.entry(ask.role, ask.kind, ask.name, ask.data)
            fallback = self.fallback(audience_of(ask.role), ask.kind) if entry is None else None
            declared = entry.reads if entry is not None else (
                fallback.reads if fallback is not None else ())
            if isinstance(entry, Command) and entry.roles and ask.role not in entry.roles:
                declared = ()  # refused: nothing to read
        wanted = []
        for read in declared:
            if read.roles and ask.role not in read.roles:
                continue
            query = read.query(ask)
            if query is not None:
                wanted.append((read.into, query))
        return wanted

    def menus(self, lang: str = "id") -> CommandMenus:
        """The command menus: students' in each language, and staff's by role (``lang``: the
        school's language)."""
        student: dict[str, list[tuple[int, str, str]]] = {"id": [], "en": []}
        staff: dict[str, list[tuple[int, str, str]]] = {}
        for command in self.commands():
            for entry in command.menu:
                if command.audience == STUDENT:
                    student["id"].append((entry.rank, command.name, entry.id))
                    student["en"].append((entry.rank, command.name, entry.en or entry.id))
                    continue
                for role in entry.roles:
                    staff.setdefault(role, []).append((entry.rank, command.name, entry.id))

        def ordered(lines: list[tuple[int, str, str]]) -> tuple[tuple[str, str], ...]:
            return tuple((name, text) for _, name, text in sorted(lines))

        return CommandMenus({lang: ordered(lines) for lang, lines in student.items()},
                            {role: ordered(lines) for role, lines in staff.items()}, lang)


def staff_only(ctx: Context, turn: Turn, _: str) -> Outcome:
    """A student typed a staff command: told so, and audited (without the words)."""
    name, _args = command_name(turn.text)
    outcome = Outcome(turn.conversation, [Audit(turn.party.key, "staff_command_refused",
                                                {"command": name})])
    ctx.say(outcome, turn, "core.staff_only")
    return outcome


def refused_to_students(*names: str) -> tuple[Command, ...]:
    """Staff command names a student gets "only for staff" for (not "unknown command")."""
    return tuple(Command(name, staff_only) for name in names)


def counselors_only(ctx: Context, turn: Turn, _: str) -> Outcome:
    """A staff command for guru BK and backup contacts only, from somebody else."""
    outcome = Outcome(turn.conversation)
    ctx.say(outcome, turn, "supervision.counselors_only")
    outcome.effects.append(Audit(turn.party.key, "staff_command_refused", {}))
    return outcome
