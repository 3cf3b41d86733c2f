"""The angket in the programme report: per-area rows, small counts hidden, none too early."""

from __future__ import annotations

import datetime as dt

import pytest

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


YES_NO = {"id": ("Ya", "Tidak"), "en": ("Yes", "No")}
ORDER = ("scale", "yn", "yn", "scale", "scale", "yn", "yn", "scale")  # p1 p2 s1 s2 b1 b2 k1 k2


async def _answer_in_chat(d, who: str, lang: str, k1_yes: bool) -> None:
    """One student answers every question of the shipped angket with the buttons."""
    from bot.core.events import Kind

    await d.deliver(d.event(who, Kind.COMMAND, "/survey" if lang == "en" else "/angket",
                            lang_hint=lang))
    yes, no = YES_NO[lang]
    for n, kind in enumerate(ORDER):
        label = "1" if kind == "scale" else yes if (n == 6 and k1_yes) else no
        await d.press(who, label)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_angket_from_open_in_chat_to_the_report_with_small_counts_hidden(
        dialog, lang: str) -> None:
    """Guru BK opens the angket in chat, students answer it in chat, guru BK closes it, and
    the report shows per-area results: nothing but a note under 5 students, then counts under
    5 hidden (and a neighbour that would give them away shown as a range)."""
    from tests.conftest import enrol
    from tests.dialog import to
    from tests.reports.weekly import week_report

    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    assert "dibuka sampai" in to(await d.say("bk", f"/angket buka {ID} 7"), "bk")[0]
    for n in range(4):
        await _answer_in_chat(d, f"s{n}", lang, k1_yes=n < 2)
    few = await week_report(d, lang)
    assert ("Fewer than 5 students" if lang == "en" else "Kurang dari 5 siswa") in few
    for n in range(4, 12):
        await _answer_in_chat(d, f"s{n}", lang, k1_yes=False)
    assert "12 siswa sudah menjawab" in to(await d.say("bk", "/angket"), "bk")[0]
    assert "ditutup" in to(await d.say("bk", f"/angket tutup {ID}"), "bk")[0]
    text = await week_report(d, lang)
    career = "| Career |" if lang == "en" else "| Karier |"
    question = "want to go to next" if lang == "en" else "mau lanjut ke sekolah"
    row = next(line for line in text.splitlines() if question in line)
    yes, no = (w.lower() for w in YES_NO[lang])
    assert career in row and f"{yes}: <5" in row  # 2 of 12 said yes: hidden
    assert f"{no}: 10–14" in row  # an exact 10 beside 12 would give the 2 away
    assert "s0" not in text and "Bu Rina" not in text
