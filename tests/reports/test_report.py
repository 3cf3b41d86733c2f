"""Reports: aggregates against hand-computed values, suppression of small counts, and the three
formats (Markdown, CSV that parses, HTML with embedded non-empty PNG charts)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re

import pytest

from bot.app import App
from bot.cli import main
from bot.reports import render
from bot.reports.data import gather
from bot.reports.figures import median, percentile, suppress
from bot.store import cases, users
from bot.store.db import ts

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=WIB)  # week 1; week 2 starts 2026-11-09
TOPICS = {"belajar": "Belajar / akademik", "keluarga": "Keluarga", "pertemanan": "Pertemanan"}


async def _case(app: App, n: int, route: str, topic: str, opened: dt.datetime, *,
                level: str = "normal", ack_minutes: float | None = None,
                reply_minutes: float | None = None, score: int | None = None) -> None:
    key = app.vault.user_key("seed", f"s{n}")
    async with app.store.transaction() as db:
        student = await users.touch(db, key, "seed", lambda: app.vault.seal("x"), "id", opened)
        case_id = await cases.create(db, key, student.code, route, topic, 2, {}, opened, level,
                                     "suicidal" if level == "crisis" else None)
        if ack_minutes is not None:
            claimed = opened + dt.timedelta(minutes=ack_minutes)
            await db.execute("UPDATE cases SET claimed_at = ? WHERE id = ?",
                             (ts(claimed), case_id))
        if reply_minutes is not None:
            await cases.add_message(db, case_id, "peer", "hai",
                                    opened + dt.timedelta(minutes=reply_minutes))
        await db.execute("UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ?",
                         (ts(opened + dt.timedelta(hours=1)), case_id))
        if score is not None:
            await db.execute("INSERT INTO surveys (case_id, route, topic, score, at) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (case_id, route, topic, score, ts(opened + dt.timedelta(hours=1))))


@pytest.fixture
async def seeded(app: App) -> App:
    """7 peer cases in week 1 (5 belajar, 2 keluarga), 1 counselor case and 6 crisis cases in
    week 2; acknowledgments after 2, 4, 6, 8, 10, 12 minutes; first replies after 1..7
    minutes on the peer cases (one never answered); ratings 5, 5, 4, 4, 3, 2."""
    scores = [5, 5, 4, 4, 3, 2, None]
    for n in range(7):
        await _case(app, n, "peer", "belajar" if n < 5 else "keluarga",
                    MONDAY + dt.timedelta(hours=n), reply_minutes=None if n == 6 else n + 1,
                    score=scores[n])
    week2 = MONDAY + dt.timedelta(days=7)
    await _case(app, 7, "counselor", "pertemanan", week2, reply_minutes=30)
    for n in range(6):
        await _case(app, 8 + n, "counselor", "perasaan", week2 + dt.timedelta(hours=n),
                    level="crisis", ack_minutes=2 * (n + 1))
    return app


async def _data(app: App):
    async with app.store.transaction() as db:
        return await gather(db, dt.date(2026, 11, 2), dt.date(2026, 11, 15), WIB)


async def test_aggregates_match_hand_computed_values(seeded: App) -> None:
    data = await _data(seeded)
    assert data.cases == 14
    assert dict(data.cases_by_route) == {"peer": 7, "counselor": 1, "crisis": 6}
    assert data.weeks == ["2026-11-02", "2026-11-09"]
    assert dict(data.cases_by_week["2026-11-02"]) == {"peer": 7}
    assert dict(data.cases_by_week["2026-11-09"]) == {"counselor": 1, "crisis": 6}
    assert data.cases_by_topic["belajar"] == 5 and data.cases_by_topic["keluarga"] == 2
    assert median(data.ack_minutes) == pytest.approx(7.0)  # (6 + 8) / 2
    assert percentile(data.ack_minutes, 0.9) == pytest.approx(12.0)
    assert median(data.first_reply_minutes) == pytest.approx(4.0)  # 1..6 and 30 -> 4
    assert data.unanswered == 7  # the 7th peer case and the six crisis cases had no reply
    assert data.surveys == 6 and data.satisfaction == pytest.approx(23 / 6)
    assert dict(data.scores) == {5: 2, 4: 2, 3: 1, 2: 1}


async def test_small_counts_are_suppressed_in_every_format(seeded: App) -> None:
    data = await _data(seeded)
    md = render.markdown(data, "id", "SMP Contoh", TOPICS)
    assert "| Keluarga | <5 |" in md and "| Belajar / akademik | 5 |" in md
    assert "| Ke guru BK | <5 |" in md  # one counselor case: could single a student out
    rows = list(csv.reader(io.StringIO(render.csv_text(data, "id", TOPICS))))
    assert rows[0] == ["section", "item", "column", "value"] and all(len(r) == 4 for r in rows)
    by_item = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert by_item[("Kasus per topik", "Keluarga")] == "<5"
    assert by_item[("Kepuasan siswa (nilai 1–5)", "5 (sangat baik)")] == "<5"
    assert by_item[("Kepuasan siswa (nilai 1–5)", "Rata-rata")] == "3,8 dari 5"
    page = render.html_page(data, "en", "SMP Contoh", TOPICS)
    assert '<th scope="row">To the counselor</th><td>&lt;5</td>' in page


def test_suppression_and_minimum_sizes() -> None:
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert median([1.0, 2.0, 3.0, 4.0]) is None  # fewer than 5 observations: not shown
    assert percentile([1.0] * 4, 0.9) is None


async def test_html_embeds_non_empty_png_charts(seeded: App) -> None:
    page = render.html_page(await _data(seeded), "id", "SMP Contoh", TOPICS)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3
    for encoded in images:
        png = base64.b64decode(encoded)
        assert png.startswith(b"\x89PNG") and len(png) > 2000


def test_cli_report_and_demo_seed_data(project, config, capsys) -> None:
    """--out chooses the folder; the rows are marked synthetic."""
    out = project / "reports"
    assert main(["--config", str(project / "config.yaml"), "demo", "--seed-data"]) == 0
    assert "Synthetic month written to" in capsys.readouterr().out
    for fmt in ("md", "csv", "html"):
        assert main(["--config", str(project / "config.yaml"), "report", "--demo", "--format",
                     fmt, "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert sum(name.endswith(".png") for name in files) == 3
    assert any(name.endswith(".html") for name in files)
    rows = list(csv.reader(next(out.glob("*.csv")).open(encoding="utf-8")))
    assert rows[1][1].startswith("DATA CONTOH")  # never mistaken for real figures
    cases_row = next(r for r in rows if r[1] == "Kasus" and r[2] == "Periode ini")
    assert int(cases_row[3]) >= 40  # a month of synthetic school days
    assert "DATA CONTOH" in next(out.glob("*.html")).read_text(encoding="utf-8")
    assert main(["--config", str(project / "config.yaml"), "report", "--from", "2026-12-01",
                 "--to", "2026-11-01"]) == 2  # bad input


async def test_demo_data_never_reaches_the_real_roster(project, config, capsys, dialog) -> None:
    """The fake counselor and peers of the synthetic month live in their own database: a real
    crisis alerts nobody fake, and seeding twice doubles nothing."""
    import asyncio

    for _ in range(2):
        assert await asyncio.to_thread(main, ["--config", str(project / "config.yaml"), "demo",
                                              "--seed-data"]) == 0
    async with dialog.app.store.read() as db:
        staff = await db.execute_fetchall("SELECT COUNT(*) FROM users WHERE role != 'student'")
        real_cases = await db.execute_fetchall("SELECT COUNT(*) FROM cases")
    assert staff[0][0] == 0 and real_cases[0][0] == 0
    sent = await dialog.say("student", "aku pengen mati aja")
    assert "belum ada guru BK yang bisa dihubungi" in sent[0].text  # nobody fake was told
    import sqlite3

    from bot.reports.seed import demo_path
    demo = sqlite3.connect(demo_path(config.database_path))
    counselors = demo.execute("SELECT COUNT(*) FROM users WHERE role = 'counselor'").fetchone()
    demo.close()
    assert counselors[0] == 1  # one fake counselor, not two
    assert main(["--config", str(project / "config.yaml"), "demo", "--remove-data"]) == 0
    assert not demo_path(config.database_path).exists()


async def test_laporan_in_chat_sends_the_summary_and_one_chart(seeded: App, dialog) -> None:
    from tests.conftest import enrol

    await enrol(seeded, "bk", "counselor", "Bu Rina")
    await enrol(seeded, "p1", "peer", "Bintang")
    sent = await dialog.say("bk", "/laporan")
    summary, chart = [m for m in sent if m.address == "bk"]
    # one counselor case: <5, and the crisis count is hidden too, or 14 - 7 - 6 would give it
    assert "Kasus: 14 (ringan ke konselor sebaya: 7, ke guru BK: <5, krisis: 5–9)" in summary.text
    assert "separuh dalam 7 menit, 90% dalam 12 menit" in summary.text  # not "p90"
    assert "p90" not in summary.text and not re.search(r"\d{4}-\d\d-\d\d", summary.text)
    assert chart.image is not None and chart.image.startswith(b"\x89PNG")
    for who in ("p1", "student"):
        sent = await dialog.say(who, "/laporan")
        assert sent[0].image is None and "khusus" in sent[0].text


def test_report_is_written_beside_the_database_by_default(project, config, capsys,
                                                           monkeypatch, tmp_path) -> None:
    """Not into the folder the command runs in (often the code checkout): data/reports/."""
    here = tmp_path / "checkout"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["--config", str(project / "config.yaml"), "demo", "--seed-data"]) == 0
    capsys.readouterr()
    assert main(["--config", str(project / "config.yaml"), "report", "--demo"]) == 0
    out = capsys.readouterr().out
    folder = config.database_path.parent / "reports"
    assert f"written to {folder}" in out and "--out DIR" in out
    assert len(list(folder.glob("*-demo.html"))) == 1
    assert list(here.iterdir()) == []
