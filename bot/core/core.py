"""The pure conversation core: ``Core.handle(turn) -> Outcome``.

Order for every student event: global commands and buttons first, then the interrupt hooks (the
risk screen plugs in here and sees every text in every state), then an open case, then the flow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from bot.core import (
    ack,
    appointments,
    ask,
    coaching,
    crisis,
    first_words,
    handoff,
    held,
    services,
    split,
    typed,
)
from bot.core.angket import Angket
from bot.core.coaching import Coaching
from bot.core.context import RiskScreen
from bot.core.conversation import (
    CONSENTED,
    FLOW_IDLE_TIMER,
    RETURNING,
    SAID,
    CaseView,
    Conversation,
    Outcome,
    Party,
    Turn,
    carried,
    told,
)
from bot.core.effects import (
    CancelTimer,
    CaseMessage,
    FlagCase,
    MarkRelayed,
    OpenCase,
    Purge,
    Send,
    SetLanguage,
    SetReachable,
    StartTimer,
    to_helper,
    to_student,
)
from bot.core.events import Button, CommandMenus, Kind
from bot.core.feature import (
    STUDENT,
    Ask,
    ButtonRoute,
    Command,
    Fallback,
    Feature,
    Read,
    Registry,
    TimerKind,
    TimerTurn,
    audience_of,
    staff_only,
)
from bot.core.keys import SYSTEM
from bot.core.localized import per_lang
from bot.core.localtime import local_time
from bot.core.policy import Policy
from bot.core.practice import Practice
from bot.core.roster import Roster
from bot.core.textclean import MAX_INBOUND_CHARS, button_parts, clean_text, command_name
from bot.core.training import Training
from bot.engine.catalog import Catalog
from bot.engine.machine import FlowMachine
from bot.engine.turn import FlowTurn

RETENTION_TIMER = "retention"
DIGEST_TIMER = "relay_digest"  # a flood's held-back messages, delivered to the helper at once
DIGEST_LINES = 30
REQUIRED_TEXTS = (
    "core.help", "core.unsupported", "core.unsupported_caption",
    "core.unsupported_caption_read", "core.caption", "core.use_buttons", "core.empty",
    "core.too_short",
    "core.truncated", "core.stale_button", "core.idle_button", "core.unknown_command",
    "core.language_choose", "core.language_set", "core.stopped", "core.stopped_case_open",
    "core.case_waiting", "core.case_still_open", "core.who_peer", "core.who_counselor",
    "core.delete_confirm", "core.delete_yes", "core.delete_no", "core.deleted",
    "core.delete_cancelled", "core.error", "core.nudge", "core.staff_hello", "core.staff_text",
    "core.staff_new_case", "core.staff_no_story", "core.hotline_line", "role.peer",
    "role.counselor", "role.backup", "risk.reply", "risk.reply_again", "risk.reply_again_nobody",
    "risk.alert",
    "risk.reminder", "risk.take_button", "risk.taken_you", "risk.taken_other",
    "risk.already_taken", "risk.already_yours", "risk.gone", "risk.not_allowed",
    "risk.student_joined", "risk.peer_handover", "risk.no_story", "relay.role_counselor",
    "relay.role_backup", "relay.role_peer", "relay.to_student", "relay.to_staff",
    "relay.flagged", "staff.help", "staff.no_case", "staff.close_needs_note", "staff.closed",
    "student.case_closed", "staff.on_duty", "staff.off_duty",
    *(f"enrol.{k}" for k in ("usage", "unknown", "used", "expired", "throttled", "welcome",
                             "ask_pseudonym", "bad_pseudonym", "pseudonym_set", "already_staff")),
    *(f"risk.cat.{c}" for c in ("SI", "SH", "ABUSE", "SEXUAL", "BULLY_DANGER", "HARM_OTHERS",
                                "THIRD_PARTY", "SELF_REPORT", "ASK_YES")),
)


class Interrupt(Protocol):
    """Runs on every student text before flow logic; returns an Outcome to take over."""

    def __call__(self, core: Core, turn: Turn, text: str) -> Outcome | None: ...


class Core:
    """Decides what happens for one event. Pure: reads nothing but its arguments."""

    def __init__(
        self,
        *,
        flows: Mapping[str, FlowMachine],
        catalog: Catalog,
        start_flow: str,
        context: Callable[[str], Mapping[str, Any]],
        languages: Sequence[str],
        policy: Policy | None = None,
        interrupts: Sequence[Interrupt] = (),
        risk: RiskScreen | None = None,
        coaching: Coaching | None = None,
        training: Training | None = None,
        practice: Practice | None = None,
        angkets: Mapping[str, Angket] | None = None,
        features: Sequence[Feature] = (),
    ) -> None:
        self.flows = flows
        self.catalog = catalog
        self.start_flow = start_flow
        self.context = context
        self.languages = tuple(languages)
        self.policy = policy or Policy()  # the school's rules (bot/core/policy.py)
        self.interrupts = tuple(interrupts)
        self.risk = risk
        self.coaching = coaching  # rules for peers' messages (bot/core/coaching.py)
        self.training = training  # modules before a peer's first shift (bot/core/training.py)
        self.practice = practice  # scripted students to practise with (bot/core/practice.py)
        self.angkets = dict(angkets or {})  # needs surveys by id (bot/core/angket.py)
        self._service_states = frozenset(  # states of flows that hand over to a service
            name for machine in flows.values()
            if any(action.name == "service" for spec in machine.flow.states.values()
                   for _, handler in spec.handlers() for branch in handler.branches
                   for action in branch.actions)
            for name in machine.flow.states)
        self.registry = Registry([*features, self._flow_feature()])

    @property
    def tz(self) -> dt.tzinfo:
        """The school's time zone (the policy's)."""
        return self.policy.tz

    @property
    def roster(self) -> Roster | None:
        """The duty roster (the policy's; the web view reads it)."""
        return self.policy.roster

    @roster.setter
    def roster(self, roster: Roster | None) -> None:
        """A roster saved on the web view replaces config.yaml's (App.refresh_roster)."""
        self.policy = replace(self.policy, roster=roster)

    def menus(self) -> CommandMenus:
        """The channels' command menus, from the features' declarations."""
        return self.registry.menus(self.catalog.default_lang)

    # -- helpers used by commands and interrupts -------------------------------------------

    def text(self, key: str, lang: str, **values: Any) -> str:
        return self.catalog.get(key, lang, **{**self.context(lang), **values})

    def say(self, outcome: Outcome, turn: Turn, key: str, buttons: tuple[Button, ...] = (),
            **values: Any) -> None:
        lang = (outcome.conversation or turn.conversation).lang
        outcome.effects.append(Send(turn.party.key, self.text(key, lang, **values), buttons))

    def reprompt(self, outcome: Outcome, conv: Conversation) -> None:
        """Show the current flow state's prompt and buttons again (nothing when idle)."""
        machine = self.flows.get(conv.flow or "")
        if machine is None or conv.state not in machine.flow.states:
            return
        flow_turn = self._flow_turn(conv, "")
        machine.show_prompt(flow_turn, machine.flow.states[conv.state])
        outcome.effects.extend(flow_turn.effects)

    def _flow_turn(self, conv: Conversation, input_text: str) -> FlowTurn:
        return FlowTurn(student=conv.user, lang=conv.lang, variables=conv.vars,
                        catalog=self.catalog, context=self.context(conv.lang),
                        input_text=input_text)

    def who(self, route: str, lang: str) -> str:
        return self.text(f"core.who_{route}", lang)

    # -- entry points ------------------------------------------------------------------------

    def handle(self, turn: Turn) -> Outcome:
        """Route the turn to the command, button or fallback its features declared."""
        audience = audience_of(turn.party.role)
        dropped: list = []
        if audience != STUDENT:  # kept messages that may no longer go: dropped, and said so
            turn, dropped = held.sweep(self, turn)
        outcome = self._route(audience, turn)
        outcome.effects[:0] = dropped
        if turn.party.unreachable_since and audience == STUDENT:  # they write again:
            outcome.effects.insert(0, SetReachable(turn.party.key, None))  # reached again
        elif turn.party.unreachable_since:  # the bot could not reach them; it can now
            since = local_time(self.policy.tz, turn.party.unreachable_since)
            outcome.effects[:0] = [SetReachable(turn.party.key, None), Send(
                turn.party.key, self.text("staff.were_unreachable", turn.conversation.lang,
                                          since=since))]
        return outcome

    def _route(self, audience: str, turn: Turn) -> Outcome:
        name, args = command_name(turn.text) if turn.kind is Kind.COMMAND else ("", "")
        if audience == STUDENT and args and self.crisis_words(args):  # "/start aku mau
            return self._text(replace(turn, kind=Kind.TEXT, text=args))  # bunuh diri": words
        if audience == STUDENT and name == "start" and len(args.split()) >= 2:  # "/start aku
            return self._text(first_words.restarted(turn, args))  # berantem ...": a story
        entry = self.registry.entry(turn.party.role, turn.kind, name, turn.data)  # first
        if isinstance(entry, Command):
            if entry.roles and turn.party.role not in entry.roles:
                return (entry.refuse or staff_only)(self, turn, args)
            return entry.run(self, turn, args)
        if isinstance(entry, ButtonRoute):
            return entry.run(self, turn)
        fallback = self.registry.fallback(audience, turn.kind)
        return fallback.run(self, turn) if fallback is not None else Outcome(turn.conversation)

    def _unsupported(self, turn: Turn) -> Outcome:
        """A photo, video, file, sticker ...: only text is read, but a caption is the student's
        words like any other: the same path as a typed message (a crisis alerts, an unsure
        signal asks directly, the rest joins the case or the intake), with a note that only
        text can be read."""
        caption, _ = clean_text(turn.text, MAX_INBOUND_CHARS)
        if not caption:
            outcome = Outcome(turn.conversation)
            self.say(outcome, turn, "core.unsupported")
            self.reprompt(outcome, turn.conversation)
            return outcome
        if self.crisis_words(caption):  # the crisis reply first, then the note
            outcome = self._text(replace(turn, kind=Kind.TEXT, text=caption))
            self.say(outcome, turn, "core.unsupported_caption")
            return outcome
        if turn.case is not None:  # the helper reads that something came with it
            outcome = self._text(replace(turn, kind=Kind.TEXT, text=self.text(
                "core.caption", turn.conversation.lang, text=caption)))
            self.say(outcome, turn, "core.unsupported_caption")
            return outcome
        outcome = self._text(replace(turn, kind=Kind.TEXT, text=caption))
        lang = (outcome.conversation or turn.conversation).lang
        outcome.effects.insert(0, Send(turn.party.key, self.text("core.unsupported_caption_read",
                                                                 lang)))  # before the buttons
        return outcome

    def urgent(self, kind: Kind, text: str) -> bool:
        """Would this text (or a command's words) raise a crisis? (The dispatcher lets such
        work jump the queue; the turn itself screens again, so a wrong guess only changes the
        order.)"""
        if kind is Kind.COMMAND:
            text = command_name(text)[1]
        elif kind is not Kind.TEXT:
            return False
        return self.crisis_words(text)

    def crisis_words(self, text: str) -> bool:
        """Whether the screen reads ``text`` (cleaned like any inbound text) as a crisis."""
        if self.risk is None:
            return False
        cleaned, _ = clean_text(text, MAX_INBOUND_CHARS)
        return bool(cleaned) and self.risk.screen(cleaned).level == "crisis"

    def start(self, turn: Turn, conv: Conversation | None = None) -> Outcome:
        """Begin the start flow afresh (variables cleared but risk flags, language kept)."""
        return self.start_flow_named(turn, self.start_flow, conv)

    def on_system_timer(self, kind: str, now: dt.datetime) -> list:
        """Timers of nobody in particular (the daily retention purge, then the next one)."""
        timer = self.registry.timer(kind)
        return list(timer.run(self, now)) if timer is not None and timer.system else []

    def on_timer(self, conv: Conversation, party: Party, kind: str, payload: Mapping[str, Any],
                 now: dt.datetime, case: CaseView | None = None,
                 peers: Sequence[Party] = (), alertable: bool = True,
                 reads: Mapping[str, Any] | None = None) -> Outcome:
        """A durable timer fired: its kind's handler decides. Stale timers (the conversation
        moved on) do nothing."""
        timer = self.registry.timer(kind)
        if timer is None or timer.system:
            return Outcome(conv)
        result = timer.run(self, TimerTurn(conv, party, kind, dict(payload), now, case,
                                           tuple(peers), alertable, dict(reads or {})))
        return result if isinstance(result, Outcome) else Outcome(conv, list(result))

    def _retention(self, now: dt.datetime) -> list:
        light, crisis_days, processed = self.policy.retention_days
        return [Purge(now - dt.timedelta(days=light), now - dt.timedelta(days=crisis_days),
                      now - dt.timedelta(days=processed)),
                StartTimer(SYSTEM, RETENTION_TIMER, now + dt.timedelta(days=1))]

    def _nudge(self, timer: TimerTurn) -> list:
        """A flow waited too long: one gentle line (it shows on a lock screen), with the
        step's buttons if any; nothing if the conversation moved on."""
        conv = timer.conversation
        if timer.payload.get("version") != conv.version or not conv.flow:
            return []
        return [Send(conv.user, self.text("core.nudge", conv.lang), self._step_buttons(conv))]

    def _flow_feature(self) -> Feature:
        """The flows' own room: flow buttons, text, the idle nudge, the digest, retention."""
        states = self._service_states

        def services_needed(ask: Ask) -> bool:  # a flow button that hands over to a service
            prefix, state, _ = button_parts(ask.data)
            return prefix == "f" and state in states

        reads = tuple(Read(r.into, lambda ask, r=r: r.query(ask) if services_needed(ask)
                           else None) for r in appointments.SERVICES)
        return Feature("flows", buttons=(ButtonRoute("f:", Core._flow_button, reads=reads),),
                       timers=(TimerKind(FLOW_IDLE_TIMER, Core._nudge),
                               TimerKind(DIGEST_TIMER, lambda core, t: core._digest(t.case)),
                               TimerKind(RETENTION_TIMER, Core._retention, system=True)),
                       fallbacks=(Fallback(STUDENT, (Kind.BUTTON,), Core._flow_button),
                                  Fallback(STUDENT, (Kind.TEXT,), Core._text),
                                  Fallback(STUDENT, (Kind.UNSUPPORTED,), Core._unsupported)))

    def _step_buttons(self, conv: Conversation) -> tuple[Button, ...]:
        machine = self.flows.get(conv.flow or "")
        spec = machine.flow.states.get(conv.state or "") if machine else None
        if machine is None or spec is None:
            return ()
        return machine.buttons(self._flow_turn(conv, ""), spec)

    # -- student text and buttons -------------------------------------------------------------

    def _text(self, turn: Turn) -> Outcome:
        """Screen everything the student wrote (the whole text, before any cut), then the
        case, a flow, or a fresh start. Only what a flow saves is cut, with a notice."""
        conv = turn.conversation
        text, _ = clean_text(turn.text, MAX_INBOUND_CHARS)
        if not text:
            outcome = Outcome(conv)
            self.say(outcome, turn, "core.empty")
            self.reprompt(outcome, conv)
            return outcome
        flags: tuple[str, ...] = ()
        signal = 0.0  # how much the screen asks for the direct question
        asked = conv.vars.get(ask.PENDING) is not None
        if asked and (answer := ask.typed_answer(text)):
            return ask.answer(self, turn, answer)
        if self.risk is not None:
            verdict = self.risk.screen(text)
            said = text
            if before := split.previous(conv, turn.now):
                joined = self.risk.screen(f"{before}\n{text}")  # "aku pengen" ... "mati"
                if joined.level == "crisis" and not getattr(joined, "by_model", False) and (
                        verdict.level != "crisis" or split.reframed(before, verdict, joined)):
                    # a rule's match across the two, not the model's guess on a pasted pair;
                    # or the first told whose it is ("temenku bilang" ... "mau loncat")
                    verdict, said = joined, f"{before}\n{text}"
            if verdict.level == "crisis":
                by_model = bool(getattr(verdict, "by_model", False))
                return split.forget(crisis.raise_crisis(
                    self, turn, said, verdict.categories[0], tuple(verdict.rules),
                    by_model=by_model))
            signal = ask.strength(verdict)
            waiting_for = "survey_case" in conv.vars or conv.vars.get("await")
            if asked and turn.case is None and not waiting_for:  # the question waits: the
                return ask.unclear(self, turn, text)  # text goes with it (a survey comment or
                # a name for an appointment is still what it is; in a chat it reaches the helper)
            if verdict.level == "concern":
                flags = tuple(verdict.rules)
                if turn.case is None:  # carried in the conversation until a case opens
                    merged = sorted({*conv.vars.get("risk_flags", ()), *flags})
                    turn = replace(turn, conversation=replace(
                        conv, vars={**conv.vars, "risk_flags": merged}))
        for interrupt in self.interrupts:
            taken = interrupt(self, turn, text)
            if taken is not None:
                return taken
        conv = turn.conversation
        if "survey_case" in conv.vars:
            return handoff.survey_comment(self, turn, text)
        if conv.vars.get("await") == appointments.AWAIT_IDENTITY:
            return appointments.identity_text(self, turn, text)
        if turn.case is not None:
            outcome = self._case_text(turn, text)
        elif conv.flow in self.flows and conv.state is not None:
            outcome = self._flow_text(turn, text)
        else:  # the first words before the intake: kept for the story (first_words.py)
            outcome = self.start(turn, first_words.kept(conv, text))
        if flags and turn.case is not None:  # recorded on the case, without alarming anyone
            outcome.effects.append(FlagCase(turn.case.id, flags))
            outcome.effects += coaching.concern_nudge(self, turn.case, flags)  # peer only
        split.remember(outcome, text, turn.now)
        after = outcome.conversation or conv
        if outcome.conversation is not None and ask.due(after, turn.case, signal, turn.now):
            outcome.conversation, question = ask.question(self, after, turn.now, signal, text)
            # one question at a time: the flow's next question comes back after a "Tidak"
            outcome.effects = [e for e in outcome.effects if not (
                isinstance(e, Send) and e.to == turn.party.key and e.buttons)] + question
        return outcome

    def _case_text(self, turn: Turn, text: str) -> Outcome:
        """While a case is open, everything the student writes joins it (and reaches the
        staff member handling it, as a copy)."""
        case = turn.case
        assert case is not None
        conv = turn.conversation
        outcome = Outcome(conv)
        if case.status == "active" and case.assignee is not None:
            return self._relay_to_staff(turn, case, text, outcome)
        outcome.effects.append(CaseMessage(case.id, "student", text, relayed=False))
        acked, told = ack.waiting_case(self, turn, case, conv)  # once, then quiet
        outcome.conversation, outcome.effects = acked, [*outcome.effects, *told]
        return outcome

    def _relay_to_staff(self, turn: Turn, case: CaseView, text: str,
                        outcome: Outcome) -> Outcome:
        """A copy to the staff member (never a forward). A student writing more than
        ``flood_limit`` messages a minute in a light case: the rest are kept on the case and
        reach the helper together in one digest a minute later (nothing stays unseen); the
        student gets one kind notice. In a crisis case guru BK gets every message at once."""
        assert case.assignee is not None
        conv = outcome.conversation or turn.conversation
        minute = turn.now.strftime("%Y%m%d%H%M")
        count = conv.vars.get("flood_count", 0) + 1 if conv.vars.get("flood_minute") == minute \
            else 1
        conv = conv.moved(vars={**conv.vars, "flood_minute": minute, "flood_count": count})
        outcome.conversation = conv
        if count > self.policy.flood_limit and case.level != "crisis":
            outcome.effects.append(CaseMessage(case.id, "student", text, relayed=False))
            if count == self.policy.flood_limit + 1:
                next_minute = turn.now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
                outcome.effects += [
                    StartTimer(turn.party.key, DIGEST_TIMER, next_minute),
                    to_student(case.code, turn.party.key, self.text(
                        "handoff.slow_down" if case.route == "peer"
                        else "handoff.slow_down_counselor", conv.lang))]
            return outcome
        shown, masking = coaching.student_masked(self, turn, case, text)
        if any(isinstance(e, Send) for e in masking):  # told once per case
            outcome.conversation = conv.moved(vars={**conv.vars, coaching.MASK_TOLD: case.id})
        outcome.effects += [
            CaseMessage(case.id, "student", text),  # as written: guru BK may need it
            to_helper(case.code, case.assignee, self.text(
                "relay.to_staff", self.catalog.default_lang, code=case.code, alias=case.alias,
                text=crisis.quoted(shown))), *masking]
        if case.level != "crisis":
            outcome.effects.append(handoff.idle_timer(self, case.student, turn.now))
        return outcome

    def _digest(self, case: CaseView | None) -> list:
        """The digest timer fired: the flood's waiting messages go to the helper in one."""
        if case is None or case.status != "active" or case.assignee is None \
                or not case.unrelayed_total:
            return []
        return [to_helper(case.code, case.assignee, per_lang(self, lambda lang: self.text(
                    "relay.digest", lang, code=case.code, alias=case.alias,
                    n=case.unrelayed_total, text=crisis.unrelayed_lines(
                        self, case, lang, for_peer=case.route == "peer")))),  # theirs
                MarkRelayed(case.id)]

    def _flow_text(self, turn: Turn, text: str) -> Outcome:
        conv = turn.conversation
        machine = self.flows[conv.flow or ""]
        spec = machine.flow.states.get(conv.state or "")
        if spec is None:  # the flow was edited and this state is gone: start over kindly
            return self.start(turn, first_words.kept(conv, text))
        if spec.input is None:  # typed at a button step: a named button, or kept and re-asked
            flow_turn = self._flow_turn(conv, "")
            buttons = machine.buttons(flow_turn, spec)
            chosen = typed.match_button(text, buttons)
            if chosen is not None:
                _, _, button_id = button_parts(chosen.data)
                return self._run_flow(turn, conv.moved(), f"press_{button_id}")
            return typed.kept(self, turn, text, buttons)  # not lost: it goes with the story
        if len(text) < spec.input.min_chars:
            outcome = Outcome(conv)
            self.say(outcome, turn, "core.too_short")
            return outcome
        text, cut = clean_text(text, self.policy.max_text_chars)
        variables = dict(conv.vars)
        if spec.input.save:
            variables[spec.input.save] = text
        outcome = self._run_flow(turn, conv.moved(vars=variables), "text_input", text)
        if cut:
            outcome.effects.insert(0, Send(turn.party.key, self.text(
                "core.truncated", conv.lang, limit=self.policy.max_text_chars)))
        return outcome

    def _flow_button(self, turn: Turn) -> Outcome:
        """A button of the current flow step; any other (stale, forged) is refused kindly."""
        conv = turn.conversation
        prefix, state, button_id = button_parts(turn.data)
        machine = self.flows.get(conv.flow or "")
        spec = machine.flow.states.get(state) if machine else None
        if prefix != "f" or spec is None or state != conv.state or not spec.button(button_id):
            outcome = Outcome(conv)
            if turn.case is not None and conv.flow is None:  # no choices to show: the case
                self.say(outcome, turn, "core.stale_button_case",
                         who=self.who(turn.case.route, conv.lang))
            elif conv.flow is None:
                self.say(outcome, turn, "core.idle_button")
            else:
                self.say(outcome, turn, "core.stale_button")
                self.reprompt(outcome, conv)
            return outcome
        return self._run_flow(turn, conv.moved(), f"press_{button_id}")

    def start_flow_named(self, turn: Turn, name: str, conv: Conversation | None = None) -> Outcome:
        """Begin the flow ``name`` from its first state (risk flags, language and what the
        student wrote that no step saved yet are kept)."""
        conv = conv or turn.conversation
        return self._run_flow(turn, conv.moved(flow=name, state=None,
                                               vars=carried(conv.vars, said=True)), trigger=None)

    def _run_flow(self, turn: Turn, conv: Conversation, trigger: str | None,
                  input_text: str = "", depth: int = 0) -> Outcome:
        machine = self.flows[conv.flow or self.start_flow]
        flow_turn = self._flow_turn(conv, input_text)
        machine.run(flow_turn, conv.state, trigger)
        if flow_turn.vars.pop(CONSENTED, None):  # remembered: next time a short welcome back
            flow_turn.vars[RETURNING] = True
        if (flow_turn.next_flow or flow_turn.service) and depth < 3:
            return self._hand_over(turn, conv, flow_turn, depth)
        if turn.case is not None and any(isinstance(e, OpenCase) for e in flow_turn.effects):
            return self._into_open_case(turn, conv, flow_turn)
        effects: list = []
        for effect in flow_turn.effects:
            if isinstance(effect, OpenCase) and effect.vars.get("said"):
                effect = with_said(effect)
            if isinstance(effect, OpenCase) and effect.vars.get("danger"):
                effects += crisis.self_reported(self, turn.party, effect, turn.now)
            elif isinstance(effect, OpenCase) and effect.route == "peer":
                effects += [effect, handoff.first_offer(turn.party.key, turn.now)]
            elif isinstance(effect, OpenCase):
                effects += [effect, crisis.counselor_notice(
                    self, turn.party.code, turn.party.alias, effect.topic, effect.weight,
                    effect.story), crisis.light_ladder(self, turn.party.key, turn.now)]
            else:
                effects.append(effect)
        if flow_turn.lang != conv.lang:
            effects.append(SetLanguage(conv.user, flow_turn.lang))
        if flow_turn.finished:
            new = conv.moved(flow=None, state=None, vars=own(flow_turn.vars),
                             lang=flow_turn.lang)
            effects.append(CancelTimer(conv.user, FLOW_IDLE_TIMER))
        else:
            new = conv.moved(state=flow_turn.state, vars=flow_turn.vars, lang=flow_turn.lang)
            effects.append(StartTimer(conv.user, FLOW_IDLE_TIMER, turn.now + self.policy.flow_idle,
                                      {"version": new.version}))
        return Outcome(new, effects)

    def _case_continues(self, turn: Turn, conv: Conversation, said: list) -> Outcome:
        """The student has an open case and asked to tell a new story: no second case in
        parallel; what they write joins the open one, which its helper reads."""
        assert turn.case is not None
        outcome = Outcome(conv, [*said, CancelTimer(conv.user, FLOW_IDLE_TIMER)])
        outcome.effects = [e for e in outcome.effects if not (
            isinstance(e, Send) and e.to == turn.party.key)]  # not the menu's goodbye
        self.say(outcome, turn, "core.case_continue", who=self.who(turn.case.route, conv.lang))
        return outcome

    def _into_open_case(self, turn: Turn, conv: Conversation, flow_turn: FlowTurn) -> Outcome:
        """A flow would open a case while one is open (self-help's "not safe", or a flow
        started before the case opened): the open case gets it instead. Danger makes the open
        case a crisis for guru BK (the ladder starts, a peer hands over), never a second one."""
        assert turn.case is not None
        opened = next(e for e in flow_turn.effects if isinstance(e, OpenCase))
        idle = conv.moved(flow=None, state=None, vars=own(flow_turn.vars), lang=flow_turn.lang)
        moved = replace(turn, conversation=idle)
        if opened.vars.get("danger"):
            said = opened.story or self.text("risk.no_story", self.catalog.default_lang)
            return crisis.raise_crisis(self, moved, said, "SELF_REPORT", ())
        outcome = self._case_text(moved, opened.story) if opened.story else Outcome(idle)
        outcome.effects = [e for e in outcome.effects if not (
            isinstance(e, Send) and e.to == turn.party.key)]  # one message: the one below
        outcome.effects.append(CancelTimer(conv.user, FLOW_IDLE_TIMER))
        self.say(outcome, turn, "core.case_continue", who=self.who(turn.case.route, conv.lang))
        return outcome

    def _hand_over(self, turn: Turn, conv: Conversation, flow_turn: FlowTurn,
                   depth: int) -> Outcome:
        """`flow:` or `service:` ran: what the branch said first, then the next flow/service."""
        said = list(flow_turn.effects)
        if flow_turn.lang != conv.lang:
            said.append(SetLanguage(conv.user, flow_turn.lang))
        left = conv.moved(flow=None, state=None, lang=flow_turn.lang, vars=carried(
            flow_turn.vars, said=bool(flow_turn.next_flow)))  # a service takes it along
        if flow_turn.next_flow == self.start_flow and turn.case is not None:
            return self._case_continues(turn, left, said)  # one open case per student
        if flow_turn.next_flow:
            nxt = self._run_flow(turn, left.moved(flow=flow_turn.next_flow), None,
                                 depth=depth + 1)
        else:
            nxt = services.start(self, turn, left, str(flow_turn.service), flow_turn.vars)
        return Outcome(nxt.conversation, [*said, *nxt.effects])


def own(variables: dict[str, Any]) -> dict[str, Any]:
    """The bot's own bookkeeping among a flow's variables (kept when the flow ends)."""
    return {k: v for k, v in variables.items() if k.startswith("_")}


def with_said(case: OpenCase) -> OpenCase:
    """What the student typed at button steps joins the story the helper reads."""
    story = told({"story": case.story, SAID: case.vars.get(SAID, ())})
    variables = {k: v for k, v in case.vars.items() if k != SAID}
    return replace(case, story=story, vars={**variables, "story": story})
