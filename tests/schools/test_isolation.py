"""Two schools of one deployment, each its own App (issue #19's "Done when"), on both stores:
SQLite (a file each) and PostgreSQL (one database, row-level security). Nothing of one school
reaches, or can be reached by, the staff of the other."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.core.events import Kind
from bot.reports.build import load as load_report
from bot.reports.district import protected, school_figures
from bot.schools import registry
from bot.schools.config import load_school_config
from bot.store import cases
from tests.conftest import SECRET, enrol, place_migrated
from tests.dialog import Dialog, RecordingChannel

CRISIS = "aku pengen mati aja"
PEER_CASE = ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku lagi berantem sama sahabatku",
             "[Lumayan berat]", "[Nggak, aman]"]


@pytest.fixture
async def schools(project: Path, config, clock, sqlite_template, monkeypatch
                  ) -> AsyncIterator[tuple[Dialog, Dialog]]:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    path = project / "config.yaml"
    dialogs = []
    for school, name in (("smpn1", "SMP Negeri 1"), ("smpn2", "SMP Negeri 2")):
        registry.add(path, school, name)
        school_config = load_school_config(path, school)
        place_migrated(school_config, sqlite_template)
        channel = RecordingChannel()
        app = await App.build(school_config, {channel.name: channel}, clock=clock,
                              secret=SECRET)
        dialogs.append(Dialog(app, channel))
    yield dialogs[0], dialogs[1]
    for dialog in dialogs:
        await dialog.app.stop()


async def _audit(app: App) -> list[tuple[str, dict]]:
    async with app.store.read() as db:
        rows = await db.execute_fetchall("SELECT action, detail FROM audit ORDER BY id")
    return [(r[0], json.loads(r[1] or "{}")) for r in rows]


def _take_button(dialog: Dialog, who: str) -> str:
    return next(b.data for m in dialog.channel.sent if m.address == who for b in m.buttons
                if b.data.startswith("k:take:"))


async def test_a_counselor_of_school_a_is_refused_every_case_of_school_b(schools) -> None:
    a, b = schools
    await enrol(a.app, "bk", "counselor", "Bu Ana")  # the same chat id in both schools
    await enrol(b.app, "bk", "counselor", "Bu Bea")
    await b.say("siswa", CRISIS)
    take = _take_button(b, "bk")
    code = take.split(":")[2]
    assert not [m for m in a.channel.sent if m.address == "bk"]  # no alert crossed

    viewed = await a.say("bk", f"/lihat {code}")
    taken = await a.say("bk", f"/ambil {code}")
    forged = await a.deliver(a.event("bk", Kind.BUTTON, "Saya tangani", take))
    listed = await a.say("bk", f"/kasus {code}")
    async with b.app.store.read() as db:
        alias = (await cases.open_for(db, b.app.vault.user_key("test", "siswa"))).alias
    for sent in (viewed, taken):  # the code the counselor typed, and nothing more
        assert [m.text for m in sent] == [f"Tidak ada kasus dengan kode {code}."]
    for sent in (forged, listed):
        assert sent and all(code not in m.text for m in sent)
    for sent in (viewed, taken, forged, listed):
        assert all("pengen mati" not in m.text and alias not in m.text for m in sent)
    actions = await _audit(a.app)
    refused = [(act, d.get("command")) for act, d in actions
               if act in ("case_lookup_refused", "claim_refused")]
    assert ("case_lookup_refused", "lihat") in refused
    assert ("case_lookup_refused", "ambil") in refused
    assert any(act == "claim_refused" for act, _ in refused)
    assert any(act == "cases_listed" and d.get("count") == 0 for act, d in actions)
    async with b.app.store.read() as db:  # B's case is untouched: still waiting for B
        case = await cases.open_for(db, b.app.vault.user_key("test", "siswa"))
    assert case is not None and case.status == "waiting" and case.assignee is None
    assert "case_lookup_refused" not in {act for act, _ in await _audit(b.app)}


async def test_a_peer_of_school_a_is_never_offered_a_case_of_school_b(schools) -> None:
    a, b = schools
    await enrol(a.app, "p1", "peer", "Bintang")  # on duty at both schools, same chat id
    await enrol(b.app, "p1", "peer", "Awan")
    await enrol(b.app, "bk", "counselor", "Bu Bea")
    await b.play([("siswa", step) for step in PEER_CASE])
    assert any(m.address == "p1" and "Terima" in [x.label for x in m.buttons]
               for m in b.channel.sent)  # B's peer was offered B's case
    await b.tick(minutes=30)  # every offer round and the fallback to B's guru BK
    await a.app.settle()
    assert not [m for m in a.channel.sent if m.address == "p1"]
    assert not [m for m in a.channel.sent if "sahabatku" in m.text]


async def test_school_b_students_texts_never_reach_school_a_staff(schools) -> None:
    a, b = schools
    await enrol(a.app, "bk", "counselor", "Bu Ana")
    await enrol(b.app, "bk", "counselor", "Bu Bea")
    await b.say("siswa", CRISIS)
    await b.press("bk", "Saya tangani")
    await b.say("siswa", "rahasia-sekolah-b aku di kamar")
    assert any("rahasia-sekolah-b" in m.text for m in b.channel.sent if m.address == "bk")
    await a.say("siswa", "halo")  # the same chat id writes to school A's bot
    assert all("rahasia-sekolah-b" not in m.text for m in a.channel.sent)
    assert a.app.vault.user_key("test", "siswa") != b.app.vault.user_key("test", "siswa")


async def test_school_as_report_holds_nothing_of_school_b(schools) -> None:
    a, b = schools
    await enrol(b.app, "bk", "counselor", "Bu Bea")
    for n in range(6):
        await b.say(f"siswa{n}", CRISIS)
    now = b.app.clock.now()
    day = now.astimezone(b.app.config.tz).date()
    report_a = await load_report(a.app.config, day - dt.timedelta(days=29), day, now=now)
    report_b = await load_report(b.app.config, day - dt.timedelta(days=29), day, now=now)
    assert report_a.crisis_cases == 0 and sum(report_a.cases_by_route.values()) == 0
    assert report_b.crisis_cases == 6
    fig_a = await school_figures(a.app.config, day - dt.timedelta(days=29), day, now)
    fig_b = await school_figures(b.app.config, day - dt.timedelta(days=29), day, now)
    assert fig_a.counts["crisis"] == 0 and fig_a.health.alerts_waiting == 0
    assert fig_b.counts["crisis"] == 6 and fig_b.health.alerts_waiting == 6
    assert fig_b.health.counselors == 1 and fig_a.health.counselors == 0
    shown = protected([fig_a, fig_b])
    assert shown[("total", "crisis")].text() == "6"
