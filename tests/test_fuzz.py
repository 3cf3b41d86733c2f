"""Fuzzing (hypothesis): random inbound events, clock jumps and people blocking the bot, through
the real dispatcher: never a crash, never an event left unhandled, and the safety invariants
hold after every step; mutated config and flow YAML always give a clear error."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import App, load_flow_bundle
from bot.clock import ManualClock
from bot.config import load_config
from bot.core.events import InboundEvent, Kind
from bot.errors import SebayaError
from tests.conftest import ROOT, SECRET, enrol
from tests.dialog import RecordingChannel, assert_invariants

WORDS = ["halo", "/start", "/help", "/bahasa", "/hapus", "/stop", "/selesai", "/ganti",
         "/join", "/join ABCD-EFGH", "/kasus", "/lihat", "/ambil X", "/eskalasi", "/catatan",
         "/onduty", "/lewati", "/menu", "/janji", "/sesi", "/sesi A | 2030-01-01 10:00 | B | 2",
         "/sesi x|y|z|w", "/laporan", "pengen mati", "aku sedih", "1", "5", "\x00", "🙂" * 50,
         "/ke", "/ke ZZZZ", "/selesai #ZZZZ aman", "aku mau bunuh diri malam ini",
         "aku dipukul ayah", "a " * 3000 + "aku mau bunuh diri",
         "a" * 5000, "‮", "z̸̢a̵l̷g̶o̷", "' OR 1=1 --", "{school}", "{", "%s",
         # an outside tester's messages: first words before the consent, captions, kinds
         "aku udah gak kuat, pengen mati aja", "aku lagi berantem sama temen sebangku",
         "aku barusan nyilet tangan lagi", "ayah tiriku suka mukul aku kalau mabuk",
         "aku pengen nusuk anak itu besok", "temenku bilang", "mau loncat dari jembatan",
         "aku ngerasa jadi beban buat semua orang", "halo kak",
         "tadi di sekolah biasa aja. " * 40 + "aku pengen mati aja malam ini."]
STUDENTS = {"s1", "s2", "s3"}
SCREENED = (Kind.TEXT, Kind.UNSUPPORTED)  # a caption is the student's words like any text
DATA = ["", "g:lang:en", "g:lang:xx", "g:del:yes", "g:del:no", "f:welcome:ok", "f:topic:bully",
        "f:safety:unsafe", "k:take:", "o:acc:", "s:1:5", "s:x:9", "f::", ":::", "x" * 64,
        "f:menu_main:appt", "f:menu_main:group", "f:ap_intro:share", "f:ap_consent:agree",
        "f:ap_topic:belajar", "ap:slot:202611240900", "ap:slot:999999999999", "ap:ok:",
        "ap:no:", "ap:cancel:", "ap:move:", "gs:join:1", "gs:leave:1", "gs:join:x",
        "f:sh_after:unsafe", "h:pick:", "h:pick:ZZZZ", "s:²:5", "s:99999999999999999999:1",
        *[f"@{prefix}{who}" for prefix in ("k:take:", "o:acc:", "h:pick:")
          for who in ("s1", "s2", "s3")]]  # @...: with that student's real case code
PEOPLE = ["s1", "s2", "s3", "peer", "peer2", "bk"]
ACTIONS = ["event"] * 8 + ["tick", "block", "unblock"]

events = st.builds(
    lambda action, who, kind, text, data, lang, reply: (action, who, kind, text, data, lang,
                                                        reply),
    st.sampled_from(ACTIONS),
    st.sampled_from(PEOPLE),
    st.sampled_from(list(Kind)),
    st.one_of(st.sampled_from(WORDS), st.text(max_size=300)),
    st.one_of(st.sampled_from(DATA), st.text(max_size=70)),
    st.sampled_from(["", "id", "en", "en-GB", "zz"]),
    st.one_of(st.none(), st.integers(0, 40).map(str), st.text(max_size=8)),
)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(events, min_size=1, max_size=25))
@example(script=[("event", "s1", Kind.UNSUPPORTED, "aku barusan nyilet tangan lagi", "", "",
                  None)])  # a crisis caption as the very first thing a student sends
@example(script=[("event", "s1", Kind.TEXT, "aku lagi berantem sama temen sebangku", "", "",
                  None), ("event", "s1", Kind.UNSUPPORTED, "ayah tiriku suka mukul aku kalau "
                          "mabuk", "", "", None)])  # a caption at the consent
@example(script=[("event", "s2", Kind.TEXT, "temenku bilang", "", "", None),
                 ("event", "s2", Kind.TEXT, "mau loncat dari jembatan", "", "", None)])
def test_random_events_never_crash_or_stick(project: Path, script) -> None:
    config = load_config(project / "config.yaml")

    async def run() -> None:
        channel = RecordingChannel()
        app = await App.build(config, {"test": channel}, clock=ManualClock(), secret=SECRET)
        try:
            await enrol(app, "peer", "peer", "Bintang")
            await enrol(app, "peer2", "peer", "Awan")
            await enrol(app, "bk", "counselor", "Bu Rina")
            for n, (action, who, kind, text, data, lang, reply) in enumerate(script):
                if action == "tick":
                    app.clock.advance(minutes=7)
                elif action == "block":
                    channel.blocked.add(who)
                elif action == "unblock":
                    channel.blocked.discard(who)
                else:
                    if data.startswith("@") and data.count(":") == 2:  # a real case's button
                        student = data.rsplit(":", 1)[1]
                        code = (await users_get(app, student)).code if await users_get(
                            app, student) else "NONE"
                        data = data[1:].rsplit(":", 1)[0] + ":" + code
                    meta = {"reply_to": reply} if reply is not None else {}
                    await app.dispatcher.accept(InboundEvent(
                        "test", f"f{n}", who, who, kind, text, data, lang_hint=lang, meta=meta))
                await app.settle()
                await assert_invariants(app, f"after step {n} ({action} {who} {kind})")
                if action == "event" and who in STUDENTS and kind in SCREENED \
                        and app.core.crisis_words(text):  # first words, a caption, any state
                    await assert_crisis_reached_guru_bk(app, who, f"step {n} ({kind})")
            async with app.store.transaction() as db:
                stuck = await (await db.execute(
                    "SELECT COUNT(*) FROM inbox WHERE status != 'done'")).fetchone()
            assert stuck[0] == 0  # every event handled; none failed
        finally:
            await app.stop()
            shutil.rmtree(config.database_path.parent, ignore_errors=True)

    asyncio.run(run())


async def assert_crisis_reached_guru_bk(app: App, who: str, when: str) -> None:
    """A student's crisis words, in whatever state and however sent, leave an open crisis case
    for guru BK (the invariants then hold it to a taker or a live ladder)."""
    from bot.store import cases

    async with app.store.read() as db:
        case = await cases.open_for(db, app.vault.user_key("test", who))
    assert case is not None and case.level == "crisis" and case.route == "counselor", (
        f"crisis words from {who} at {when} left {case}")


async def users_get(app: App, who: str):
    from bot.store import users

    async with app.store.read() as db:
        return await users.get(db, app.vault.user_key("test", who))


def _mutations(text: str) -> st.SearchStrategy[str]:
    lines = text.splitlines()

    def mutate(index: int, how: int, junk: str) -> str:
        out = list(lines)
        i = index % len(out)
        if how == 0:
            del out[i]
        elif how == 1:
            out[i] = out[i] + junk
        elif how == 2:
            out.insert(i, junk)
        elif how == 3:
            out[i] = out[i].replace(":", junk, 1)
        else:
            out[i] = "  " + out[i]
        return "\n".join(out) + "\n"

    return st.builds(mutate, st.integers(0, 10_000), st.integers(0, 4),
                     st.text(alphabet=st.characters(codec="utf-8"), max_size=12))


CONFIG_TEXT = (ROOT / "config.yaml").read_text(encoding="utf-8")
FLOW_TEXT = (ROOT / "flows" / "intake.yaml").read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated=_mutations(CONFIG_TEXT))
def test_mutated_config_gives_a_clear_error_or_loads(project: Path, mutated: str) -> None:
    path = project / "config.yaml"
    path.write_text(mutated, encoding="utf-8")
    try:
        load_flow_bundle(load_config(path))
    except SebayaError as exc:
        assert str(exc).startswith(str(path)) or str(exc).startswith(str(project))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated=_mutations(FLOW_TEXT))
def test_mutated_flow_gives_a_clear_error_or_loads(project: Path, mutated: str) -> None:
    (project / "flows" / "intake.yaml").write_text(mutated, encoding="utf-8")
    config = load_config(project / "config.yaml")
    try:
        load_flow_bundle(config)
    except SebayaError as exc:
        # the file at fault: intake.yaml, config.yaml, or a flow that names a flow the
        # mutation renamed (info.yaml: "flow 'intake' does not exist")
        assert str(exc).startswith(str(project)), str(exc)


@pytest.mark.parametrize("text", ["", "\n", "- a\n- b\n", "[", "flow: x\n", "states: 3\n",
                                  "\t\tflow: intake\n"])
def test_degenerate_flow_files(project: Path, text: str) -> None:
    (project / "flows" / "intake.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SebayaError):
        load_flow_bundle(load_config(project / "config.yaml"))


def test_an_empty_state_loads_but_is_linted_as_a_dead_end(project: Path) -> None:
    from bot.engine.lint import lint_flow

    (project / "flows" / "intake.yaml").write_text("flow: intake\nstart: a\nstates:\n  a:\n")
    bundle = load_flow_bundle(load_config(project / "config.yaml"))
    [warning] = lint_flow(bundle.flows["intake"], bundle.catalog, ("id", "en"))
    assert "dead end" in warning.render()
