"""``sebaya report --district``: every school's figures side by side, and the total.

A district officer sees anonymous aggregates only: counts per school and in total, never a
transcript, a case code, a pseudonym or a name. The case counts (by route, crisis alerts
never acknowledged, dead letters) form one table whose rows are schools and whose columns
are routes, protected like the weekly table (``bot/reports/suppression.py``): small counts
hidden per school, and more until none can be worked out from a total. Operational health
(counselors enrolled and on duty now, peers, crisis alerts waiting now, dead letters of the
last 7 days) is about staff and the service, not about students, and the district must act
on it: it is shown as counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, load_secret
from bot.core.identity import IdentityVault
from bot.reports.data import gather
from bot.reports.suppression import Shown, protect
from bot.store import roster as roster_store
from bot.store import users
from bot.store.db import fetch_all, ts
from bot.store.port import open_store

ROUTES = ("peer", "counselor", "crisis")
COLUMNS = (*ROUTES, "unacknowledged", "dead_letters")  # the protected figures of a school


@dataclass(frozen=True)
class Health:
    """A school's service now (not protected: staff and delivery, no student)."""

    counselors: int
    counselors_on_duty: int
    peers: int
    peers_on_duty: int
    alerts_waiting: int  # crisis cases nobody has taken yet
    dead_letters_7d: int


@dataclass(frozen=True)
class SchoolFigures:
    school: str  # the id
    name: str
    counts: dict[str, int]  # COLUMNS
    health: Health


async def _health(db, config: Config, now: dt.datetime) -> Health:
    roster = await roster_store.in_use(db, config)
    on_shift = roster.on_shift(now)
    counselors = await users.with_role(db, "counselor")
    on_duty = await users.with_role(db, "counselor", on_duty_only=True, on_shift=on_shift)
    peers = await users.with_role(db, "peer")
    peers_on = await users.with_role(db, "peer", on_duty_only=True, on_shift=on_shift)
    [waiting] = await fetch_all(db, "SELECT COUNT(*) FROM cases WHERE level = 'crisis' "
                                    "AND status = 'waiting'")
    [dead] = await fetch_all(db, "SELECT COUNT(*) FROM outbox WHERE status = 'dead' "
                                 "AND created_at >= ?", (ts(now - dt.timedelta(days=7)),))
    return Health(len(counselors), len(on_duty), len(peers), len(peers_on), waiting[0],
                  dead[0])


async def school_figures(config: Config, start: dt.date, end: dt.date,
                         now: dt.datetime) -> SchoolFigures:
    """One school's counts for the period and its health now, from its own store (its own
    file on SQLite, its own rows under row-level security on PostgreSQL)."""
    store = await open_store(config.database_path, config.database_url(),
                             IdentityVault(load_secret(config), config.school_id),
                             school=config.school_id)
    try:
        async with store.transaction() as db:
            data = await gather(db, start, end, config.tz)
            health = await _health(db, config, now)
    finally:
        await store.close()
    counts = {route: data.cases_by_route.get(route, 0) for route in ROUTES[:2]}
    counts["crisis"] = data.crisis_cases
    counts.update(unacknowledged=data.unacknowledged, dead_letters=data.dead_letters)
    return SchoolFigures(config.school_id or "default", config.school.name, counts, health)


def _row(figures: SchoolFigures) -> tuple[str, str]:
    return ("school", figures.school)  # never equal to "total", whatever a school's id


def protected(figures: Sequence[SchoolFigures]) -> dict:
    """Every count of the table, shown so that no count of 1-4 (a school's, or a total's)
    can be seen or worked out: cells, each school's cases, each column's total."""
    values: dict = {}
    groups: list = []
    for f in figures:
        for column in COLUMNS:
            values[(_row(f), column)] = f.counts[column]
        values[(_row(f), "cases")] = sum(f.counts[r] for r in ROUTES)
        groups.append(((_row(f), "cases"), [(_row(f), r) for r in ROUTES]))
    for column in (*COLUMNS, "cases"):
        values[("total", column)] = sum(values[(_row(f), column)] for f in figures)
        groups.append((("total", column), [(_row(f), column) for f in figures]))
    groups.append((("total", "cases"), [("total", r) for r in ROUTES]))
    return protect(values, groups)


HEADERS = {
    "id": {"title": "Laporan dinas: semua sekolah", "school": "Sekolah", "cases": "Kasus",
           "peer": "Ke konselor sebaya", "counselor": "Ke guru BK", "crisis": "Krisis",
           "unacknowledged": "Peringatan tak diakui", "dead_letters": "Pesan gagal",
           "total": "Total", "health": "Kesehatan layanan (sekarang)",
           "counselors": "Guru BK (bertugas)", "peers": "Konselor sebaya (bertugas)",
           "alerts_waiting": "Krisis menunggu", "dead_letters_7d": "Pesan gagal 7 hari",
           "note": "Angka 1-4 ditulis \"<5\" (dan angka lain disamarkan bila perlu) agar tidak "
                   "ada siswa yang bisa dikenali. Tidak ada isi percakapan, kode kasus atau "
                   "nama samaran."},
    "en": {"title": "District report: all schools", "school": "School", "cases": "Cases",
           "peer": "To peer supporters", "counselor": "To guru BK", "crisis": "Crisis",
           "unacknowledged": "Alerts never acknowledged", "dead_letters": "Failed messages",
           "total": "Total", "health": "Service health (now)",
           "counselors": "Counselors (on duty)", "peers": "Peer supporters (on duty)",
           "alerts_waiting": "Crises waiting", "dead_letters_7d": "Failed messages 7 days",
           "note": "Counts of 1-4 read \"<5\" (and others are blurred where needed) so that "
                   "no student can be singled out. No transcript, case code or pseudonym."},
}
TABLE = ("cases", *COLUMNS)


def rows(figures: Sequence[SchoolFigures], lang: str) -> tuple[list[str], list[list[str]]]:
    """The table as text: a header and one row per school, then the total."""
    h = HEADERS.get(lang, HEADERS["id"])
    shown = protected(figures)
    header = [h["school"], *(h[c] for c in TABLE), h["counselors"], h["peers"],
              h["alerts_waiting"], h["dead_letters_7d"]]

    def cell(key) -> str:
        value: Shown = shown[key]
        return value.text()

    out = []
    for f in figures:
        x = f.health
        out.append([f.name, *(cell((_row(f), c)) for c in TABLE),
                    f"{x.counselors} ({x.counselors_on_duty})", f"{x.peers} ({x.peers_on_duty})",
                    str(x.alerts_waiting), str(x.dead_letters_7d)])
    totals = [sum(getattr(f.health, k) for f in figures) for k in (
        "counselors", "counselors_on_duty", "peers", "peers_on_duty", "alerts_waiting",
        "dead_letters_7d")]
    out.append([h["total"], *(cell(("total", c)) for c in TABLE),
                f"{totals[0]} ({totals[1]})", f"{totals[2]} ({totals[3]})", str(totals[4]),
                str(totals[5])])
    return header, out


def markdown(figures: Sequence[SchoolFigures], start: dt.date, end: dt.date, lang: str) -> str:
    h = HEADERS.get(lang, HEADERS["id"])
    header, body = rows(figures, lang)
    lines = [f"# {h['title']} ({start} – {end})", "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join([*lines, "", h["note"], ""])


def csv_text(figures: Sequence[SchoolFigures], lang: str) -> str:
    header, body = rows(figures, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue()


def html_page(figures: Sequence[SchoolFigures], start: dt.date, end: dt.date,
              lang: str) -> str:
    h = HEADERS.get(lang, HEADERS["id"])
    header, body = rows(figures, lang)
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in header)
    cells = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in body)
    return (f"<!doctype html><html lang=\"{esc(lang)}\"><meta charset=\"utf-8\">"
            f"<title>{esc(h['title'])}</title><h1>{esc(h['title'])} ({start} – {end})</h1>"
            f"<table border=\"1\"><tr>{head}</tr>{cells}</table><p>{esc(h['note'])}</p></html>")


async def write(configs: Sequence[Config], start: dt.date, end: dt.date, fmt: str,
                out_dir: Path, lang: str, now: dt.datetime | None = None) -> Path:
    """Gather every school's figures and write the district report; its path."""
    now = now or dt.datetime.now(dt.UTC)
    figures = [await school_figures(c, start, end, now) for c in configs]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"sebaya-district-{start}-{end}.{fmt}"
    text = (markdown(figures, start, end, lang) if fmt == "md" else
            csv_text(figures, lang) if fmt == "csv" else html_page(figures, start, end, lang))
    path.write_text(text, encoding="utf-8")
    return path
