"""What a principal reads: plain words, the language's numbers, table headers, a summary that
compares with the previous period, when it was made, and the sample-data mark."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

from bot.reports import render
from bot.reports.figures import ReportData
from bot.reports.tables import Names

WEEKS = ["2026-11-02", "2026-11-09"]
NAMES = Names({"belajar": "Belajar / akademik"},
              {"info_bk": "Apa itu BK & di mana", "selfhelp_breathing": "Napas kotak"})


def _data(cases: int = 30, synthetic: bool = False, previous: ReportData | None = None):
    half = cases // 2
    return ReportData(
        dt.date(2026, 11, 2), dt.date(2026, 11, 15), weeks=list(WEEKS),
        cases_by_week={WEEKS[0]: Counter(peer=half), WEEKS[1]: Counter(peer=cases - half)},
        cases_by_topic=Counter(belajar=cases), cases_by_weight=Counter({"1": 10, "2": cases - 10}),
        cases_by_route=Counter(peer=cases), first_reply_minutes=[2.5, 4.25, 6.0, 8.0, 30.0],
        scores=Counter({4: 6, 5: 6}), services=Counter(info_bk=6, selfhelp_breathing=7),
        synthetic=synthetic, previous=previous,
        generated_at=dt.datetime(2026, 11, 16, 7, 30, tzinfo=dt.UTC).astimezone(
            ZoneInfo("Asia/Jakarta")))


def test_labels_are_plain_words_not_internal_ids() -> None:
    page = render.html_page(_data(), "id", "SMP Contoh", NAMES)
    for raw in ("info_bk", "selfhelp_", "1/3", "2/3", "p90", "2026-11-02", ">11-02<"):
        assert raw not in page, raw
    for plain in ("Apa itu BK &amp; di mana", "Napas kotak", "Ringan", "Lumayan",
                  "90% kasus dibalas dalam", "Separuh kasus dibalas dalam", "2 Nov 2026"):
        assert plain in page, plain


def test_numbers_use_the_languages_decimal_mark() -> None:
    md = render.markdown(_data(), "id", "SMP Contoh", NAMES)
    assert "| Separuh kasus dibalas dalam | 6,0 menit |" in md
    assert "| Rata-rata | 4,5 dari 5 |" in md
    en = render.markdown(_data(), "en", "SMP Contoh", NAMES)
    assert "| Half of cases answered within | 6.0 min |" in en


def test_html_tables_have_header_rows() -> None:
    page = render.html_page(_data(), "id", "SMP Contoh", NAMES)
    tables = re.findall(r"<table>(.*?)</table>", page, re.S)
    assert len(tables) == 10  # with the peer programme and its coaching (#17)
    for table in tables:
        assert re.search(r'<thead><tr>(<th scope="col">[^<]*</th>){2,}</tr></thead>', table)
        assert '<th scope="row">' in table or "Belum ada data pada periode ini" in table
    assert '<th scope="col">Minggu mulai</th><th scope="col">Ke konselor sebaya</th>' in page


def test_summary_compares_the_period_with_the_previous_one() -> None:
    now = _data(cases=42, previous=_data(cases=30))
    text = render.markdown(now, "id", "SMP Contoh", NAMES)
    assert "Pada periode ini (2 – 15 Nov 2026)" not in text  # both days written in full
    assert "Pada periode ini (2 Nov – 15 Nov 2026) ada 42 kasus" in text
    assert "naik 40% dibanding periode sebelumnya" in text
    assert "| Kasus | 42 | 30 |" in text  # the key figures side by side
    first = render.markdown(_data(previous=_data(cases=0)), "en", "SMP Contoh", NAMES)
    assert "had no cases, so there is nothing to compare with yet" in first


def test_generation_time_is_shown() -> None:
    page = render.html_page(_data(), "id", "SMP Contoh", NAMES)
    assert "Dibuat: 16 Nov 2026, 14.30 WIB" in page


def test_sample_data_is_marked_in_every_format() -> None:
    data = _data(synthetic=True)
    page = render.html_page(data, "id", "SMP Contoh", NAMES)
    assert '<div class="synthetic" role="note">DATA CONTOH' in page
    assert "<title>DATA CONTOH: " in page
    assert render.markdown(data, "id", "SMP Contoh", NAMES).startswith("> **DATA CONTOH")
    assert "DATA CONTOH" in render.csv_text(data, "id", NAMES).splitlines()[1]
    assert "DATA CONTOH" not in render.html_page(_data(), "id", "SMP Contoh", NAMES)


def test_weeks_the_period_cuts_are_marked() -> None:
    """A period from a Tuesday: its first week has fewer days, which must not read as a drop."""
    from dataclasses import replace

    full = render.markdown(_data(), "id", "SMP Contoh", NAMES)
    assert "*" not in full.split("## Kasus per minggu")[1].split("##")[0]
    cut = render.markdown(replace(_data(), start=dt.date(2026, 11, 3)), "id", "SMP", NAMES)
    assert "| 2 Nov 2026 * |" in cut and "| 9 Nov 2026 |" in cut
    assert "hanya sebagian masuk periode laporan" in cut
