"""``sebaya report --district``: schools side by side and the total, anonymous."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

from bot.app import App
from bot.cli import main
from bot.reports.district import Health, SchoolFigures, markdown, protected, rows
from bot.schools import registry
from bot.schools.config import load_school_config
from tests.conftest import SECRET, enrol, place_migrated
from tests.dialog import Dialog, RecordingChannel

HEALTH = Health(2, 1, 3, 0, 0, 0)


def _school(school: str, peer: int, counselor: int, crisis: int) -> SchoolFigures:
    return SchoolFigures(school, school.upper(), {"peer": peer, "counselor": counselor,
                                                  "crisis": crisis, "unacknowledged": 0,
                                                  "dead_letters": 0}, HEALTH)


def test_a_small_count_of_one_school_is_hidden_and_cannot_come_back_from_the_totals() -> None:
    figures = [_school("smpn1", 12, 7, 3), _school("smpn2", 20, 9, 6)]
    shown = protected(figures)
    assert shown[(("school", "smpn1"), "crisis")].text() == "<5"
    # the reader cannot subtract it back: the school's total or another cell is blurred too
    row_total, total = shown[(("school", "smpn1"), "cases")], shown[("total", "crisis")]
    assert not (row_total.exact and shown[(("school", "smpn1"), "peer")].exact
                and shown[(("school", "smpn1"), "counselor")].exact)
    assert not (total.exact and shown[(("school", "smpn2"), "crisis")].exact)


def test_a_small_total_is_hidden_too() -> None:
    shown = protected([_school("smpn1", 0, 0, 1), _school("smpn2", 0, 0, 2)])
    assert shown[("total", "crisis")].text() == "<5"


def test_the_table_names_schools_and_shows_health_as_counted() -> None:
    header, body = rows([_school("smpn1", 12, 7, 6)], "en")
    assert header[0] == "School" and body[0][0] == "SMPN1" and body[-1][0] == "Total"
    assert "2 (1)" in body[0] and "3 (0)" in body[0]
    text = markdown([_school("smpn1", 12, 7, 6)], dt.date(2026, 11, 1),
                    dt.date(2026, 11, 30), "id")
    assert "Laporan dinas" in text and "<5" in text


def test_report_district_writes_every_school_and_no_code_or_pseudonym(
        project: Path, config, sqlite_template, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    path = project / "config.yaml"
    codes = []

    async def fill() -> None:
        for school, crises in (("smpn1", 6), ("smpn2", 2)):
            registry.add(path, school, f"SMP {school}")
            school_config = load_school_config(path, school)
            place_migrated(school_config, sqlite_template)
            channel = RecordingChannel()
            app = await App.build(school_config, {channel.name: channel}, secret=SECRET)
            dialog = Dialog(app, channel)
            await enrol(app, "bk", "counselor", "Bu Rina")
            await enrol(app, "p1", "peer", "Bintang")
            for n in range(crises):
                await dialog.say(f"siswa{n}", "aku pengen mati aja")
            codes.extend(re.findall(r"#([A-Z0-9]{4})", " ".join(m.text for m in channel.sent)))
            await app.stop()

    asyncio.run(fill())
    out = project / "out"
    assert main(["report", "--district", "--format", "md", "--out", str(out),
                 "--config", str(path)]) == 0
    text = next(out.glob("*.md")).read_text()
    assert "SMP smpn1" in text and "SMP smpn2" in text
    def cells(name: str) -> list[str]:
        line = next(line for line in text.splitlines() if line.startswith(f"| {name}"))
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    crisis = 4  # school, cases, peer, counselor, crisis, ...
    assert cells("SMP smpn2")[crisis] == "<5"  # two: hidden
    # and not given back by the total: 8 - 6 would; one of them is blurred ("5–9")
    assert not (cells("SMP smpn1")[crisis] == "6" and cells("Total")[crisis] == "8")
    assert "5–9" in (cells("SMP smpn1")[crisis], cells("Total")[crisis])
    assert codes and not any(code in text for code in codes)
    assert "Bintang" not in text and "Bu Rina" not in text
