"""The angket in the programme report: per-area rows, small counts hidden, none too early."""

from __future__ import annotations

import datetime as dt

from bot.app import App
from bot.reports import build, render
from bot.reports.tables import Names
from bot.store import angket

WIB = dt.timezone(dt.timedelta(hours=7))
OPENED = dt.datetime(2026, 11, 2, 8, 0, tzinfo=WIB)
ID = "contoh-kebutuhan"  # the shipped example (flows/angket/contoh.yaml)


async def _answers(app: App, students: int, ya: int) -> None:
    async with app.store.transaction() as db:
        await angket.open_run(db, ID, OPENED, OPENED + dt.timedelta(days=14), "bk")
        for n in range(students):
            mark = f"student-{n}"
            await angket.record(db, ID, mark, "k1", "ya" if n < ya else "tidak")
            await angket.record(db, ID, mark, "p1", str(1 + n % 4))


async def _markdown(app: App, start: dt.date, end: dt.date, lang: str = "id") -> str:
    async with app.store.read() as db:
        data = await build.collect(db, app.config, start, end, OPENED)
    return render.markdown(data, lang, app.config.school.name, Names())


async def test_the_report_shows_each_question_by_area_with_small_counts_hidden(app: App):
    await _answers(app, students=12, ya=2)
    text = await _markdown(app, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert "## Angket: Angket kebutuhan siswa" in text
    row = next(line for line in text.splitlines() if "mau lanjut ke sekolah" in line)
    assert "| Karier |" in row and "ya: <5" in row  # 2 of 12 said yes: hidden
    assert "tidak: 10–14" in row  # an exact 10 beside 12 would give "ya" away
    scale = next(line for line in text.splitlines() if "cemas atau tegang" in line)
    assert "| Pribadi |" in scale and "1: <5" in scale
    assert "Jawaban angket tidak terhubung dengan siswa" in text
    english = await _markdown(app, dt.date(2026, 11, 1), dt.date(2026, 11, 30), "en")
    assert "## Survey: Student needs survey" in english and "| Career |" in english


async def test_fewer_than_five_students_give_only_a_note(app: App):
    await _answers(app, students=4, ya=4)
    text = await _markdown(app, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert "Kurang dari 5 siswa menjawab" in text
    assert "mau lanjut ke sekolah" not in text


async def test_an_angket_open_outside_the_period_is_not_in_the_report(app: App):
    await _answers(app, students=12, ya=6)
    text = await _markdown(app, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert "Angket kebutuhan siswa" not in text


async def test_a_mean_column_appears_only_when_a_mean_can_be_shown(app: App):
    await _answers(app, students=12, ya=6)  # p1: 3 of each answer, all hidden: no mean
    text = await _markdown(app, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    header = next(line for line in text.splitlines() if line.startswith("| Pertanyaan"))
    assert "Rata-rata" not in header
    await _answers(app, students=20, ya=10)  # 20 more answer sets: p1 8 of each answer
    text = await _markdown(app, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    header = next(line for line in text.splitlines() if line.startswith("| Pertanyaan"))
    row = next(line for line in text.splitlines() if "cemas atau tegang" in line)
    assert "Rata-rata" in header and row.rstrip(" |").endswith("2,5")
