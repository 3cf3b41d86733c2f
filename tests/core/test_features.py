"""A feature is one room: a throwaway feature declared in this file (a counselor command with
a read, a button, a timer kind, a menu entry) works end to end through the real dispatcher,
outbox and timers, with nothing else touched."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.config import Config
from bot.core.conversation import Outcome, Turn
from bot.core.effects import Send, StartTimer
from bot.core.events import Button, Kind
from bot.core.feature import (
    COUNSELORS,
    STAFF,
    ButtonRoute,
    Command,
    Feature,
    MenuEntry,
    Read,
    Registry,
    TimerKind,
    TimerTurn,
    counselors_only,
)
from bot.core.features import FEATURES
from bot.core.reads import OpenCaseNamed, OpenCasesSince
from tests.conftest import SECRET
from tests.core.test_handoff import open_peer_case, team
from tests.dialog import Dialog, RecordingChannel, case_of, to

PREFIX = "xq:remind:"
TIMER = "xq_remind"
called: list[str] = []


def _antrian(ctx, turn: Turn, _: str) -> Outcome:
    called.append("antrian")
    waiting = [c for c in turn.reads["waiting"] if c.status == "waiting"]
    buttons = tuple(Button(f"Ingatkan {c.code}", PREFIX + c.code) for c in waiting)
    return Outcome(turn.conversation, [Send(turn.party.key, "Menunggu: " + " ".join(
        f"#{c.code}" for c in waiting), buttons)])


def _remind(ctx, turn: Turn) -> Outcome:
    code = turn.data.removeprefix(PREFIX)
    return Outcome(turn.conversation, [
        StartTimer(turn.party.key, f"{TIMER}:{code}", turn.now + dt.timedelta(minutes=5),
                   {"code": code}),
        Send(turn.party.key, f"Oke, 5 menit lagi: #{code}")])


def _fire(ctx, timer: TimerTurn) -> list:
    case = timer.reads["case"]
    state = case.status if case is not None else "tutup"
    return [Send(timer.party.key, f"Pengingat: #{timer.payload['code']} {state}")]


QUEUE = Feature(
    "antrian",
    commands=(Command("antrian", _antrian, STAFF, aliases=("queue",), roles=COUNSELORS,
                      refuse=counselors_only,
                      reads=(Read("waiting", lambda ask: OpenCasesSince(dt.timedelta(days=1))),),
                      menu=(MenuEntry(("counselor",), 15, "Kasus menunggu"),)),),
    buttons=(ButtonRoute(PREFIX, _remind, STAFF),),
    timers=(TimerKind(TIMER, _fire, family=True, reads=(
        Read("case", lambda ask: OpenCaseNamed(str(ask.payload.get("code", "")))),)),),
)


@pytest.fixture
async def d(config: Config, clock) -> AsyncIterator[Dialog]:
    channel = RecordingChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET,
                          features=(*FEATURES, QUEUE))
    await team(app)
    yield Dialog(app, channel)
    await app.stop()


async def test_a_throwaway_feature_works_end_to_end(d: Dialog) -> None:
    await open_peer_case(d, "s1")
    code = (await case_of(d.app, "s1")).code
    sent = await d.say("bk", "/antrian")  # the command, with its declared read
    assert to(sent, "bk") == [f"Menunggu: #{code}"]
    sent = await d.press("bk", f"Ingatkan {code}")  # its button
    assert to(sent, "bk") == [f"Oke, 5 menit lagi: #{code}"]
    d.app.clock.advance(minutes=5)
    before = len(d.channel.sent)
    await d.app.settle()  # its timer kind, with the timer's own read
    assert f"Pengingat: #{code} waiting" in to(d.channel.sent[before:], "bk")
    assert ("antrian", "Kasus menunggu") in d.app.core.menus().for_role("counselor")
    assert "antrian" not in dict(d.app.core.menus().for_role("peer"))


async def test_a_refused_role_reads_nothing_and_a_student_does_not_know_it(d: Dialog) -> None:
    called.clear()
    sent = await d.say("p1", "/queue")
    assert "khusus untuk guru BK" in to(sent, "p1")[0] and not called
    sent = await d.say("s1", "/antrian")
    assert to(sent, "s1") and not called  # an unknown command for a student


def test_a_name_declared_twice_for_one_audience_is_refused() -> None:
    twice = Feature("twice", commands=(Command("kasus", _antrian, STAFF),))
    with pytest.raises(ValueError, match="kasus"):
        Registry((*FEATURES, twice))
    Registry((*FEATURES, Feature("student", commands=(Command("antrian", _antrian),))))


def test_the_longest_button_prefix_wins_and_timer_families_match() -> None:
    registry = Registry(FEATURES)
    assert registry.button("student", "g:lang:en").prefix == "g:lang:"
    assert registry.button("student", "g:zzz").prefix == "g:"
    assert registry.button("staff", "g:del:yes") is None  # a student's button only
    assert registry.timer("group:12").kind == "group"
    assert registry.timer("offer:1") is None  # not a family
    assert registry.entry("counselor", Kind.COMMAND, "cases").name == "kasus"


def test_the_generated_menus_are_the_ones_telegram_had() -> None:
    """The menus that were a table in bot/channels/telegram.py come out of the declarations
    unchanged (order and words)."""
    menus = Registry(FEATURES).menus()
    assert [c for c, _ in menus.student["id"]] == [
        "start", "menu", "janji", "angket", "help", "bahasa", "selesai", "stop", "hapus"]
    assert dict(menus.student["en"])["hapus"] == "Delete your data"
    assert list(menus.for_role("peer")) == [
        ("selesai", "Tutup kasus"), ("eskalasi", "Teruskan ke guru BK + alasan"),
        ("catatan", "Catatan supervisi"), ("onduty", "Mulai bertugas"),
        ("offduty", "Berhenti bertugas"), ("jadwal", "Jadwal shift"),
        ("tukar", "Tukar shift"), ("nama", "Ganti nama samaran"),
        ("latihan", "Pelatihan sebelum bertugas"),
        ("praktik", "Latihan chat dengan siswa pura-pura"),
        ("bahasa", "Ganti bahasa / language"),
        ("help", "Bantuan staf")]
    assert [c for c, _ in menus.for_role("counselor")] == [
        "kasus", "lihat", "ambil", "selesai", "sesi", "laporan", "angket", "dasbor", "jadwal",
        "beban", "onduty", "offduty", "setujui", "bahasa", "help"]
    assert menus.for_role("backup") == menus.for_role("counselor")
    assert list(menus.for_role("tppk")) == [("bahasa", "Ganti bahasa / language"),
                                            ("help", "Bantuan staf")]
    assert list(menus.for_role("principal")) == [
        ("dasbor", "Tautan masuk dasbor web (laporan)"), ("bahasa", "Ganti bahasa / language"),
        ("help", "Bantuan")]
