"""Render ReportData as Markdown, CSV or a self-contained HTML page with embedded charts.

Every table goes through ``rows()``, the one place where small counts are suppressed, so the
three formats can never disagree about what is shown.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from dataclasses import dataclass

from bot.reports import charts
from bot.reports.figures import (
    SMALL,
    ReportData,
    median,
    percentile,
    suppress,
    weeks_series,
)

LABELS = {
    "id": {
        "title": "Laporan program Sebaya", "period": "Periode", "school": "Sekolah",
        "synthetic": "DATA CONTOH — bukan data siswa sungguhan (sebaya demo --seed-data)",
        "note": f"Angka di bawah {SMALL} ditulis \"<{SMALL}\" dan rata-rata/median hanya "
                f"dihitung dari minimal {SMALL} data, agar tidak ada siswa yang bisa dikenali.",
        "overview": "Ringkasan", "weeks": "Kasus per minggu", "topics": "Kasus per topik",
        "weights": "Kasus per tingkat berat", "crisis": "Krisis", "peers": "Beban konselor sebaya",
        "satisfaction": "Kepuasan (1-5)", "services": "Layanan lain",
        "cases": "Kasus", "peer": "Ke konselor sebaya", "counselor": "Ke guru BK",
        "crisis_cases": "Kasus krisis (peringatan ke guru BK)",
        "ack_median": "Waktu sampai diakui, median (menit)",
        "ack_p90": "Waktu sampai diakui, p90 (menit)", "unacknowledged": "Belum diakui",
        "first_reply": "Waktu sampai balasan pertama, median (menit)",
        "first_reply_p90": "Waktu sampai balasan pertama, p90 (menit)",
        "unanswered": "Ditutup tanpa balasan staf", "dead_letters": "Pesan gagal terkirim",
        "surveys": "Penilaian", "mean": "Rata-rata", "selfhelp": "Latihan mandiri",
        "appointments": "Permintaan janji temu", "confirmed": "Janji temu dikonfirmasi",
        "groups": "Pendaftaran sesi kelompok", "week": "Minggu mulai", "count": "Jumlah",
        "chart_weeks": "Kasus per minggu, menurut jalur", "chart_scores": "Distribusi kepuasan",
        "chart_services": "Penggunaan layanan", "na": "-",
    },
    "en": {
        "title": "Sebaya programme report", "period": "Period", "school": "School",
        "synthetic": "SAMPLE DATA — not real students (sebaya demo --seed-data)",
        "note": f"Counts under {SMALL} are written \"<{SMALL}\" and means/medians need at least "
                f"{SMALL} data points, so that no student can be singled out.",
        "overview": "Overview", "weeks": "Cases per week", "topics": "Cases by topic",
        "weights": "Cases by weight", "crisis": "Crisis", "peers": "Peer supporter workload",
        "satisfaction": "Satisfaction (1-5)", "services": "Other services",
        "cases": "Cases", "peer": "To peer supporters", "counselor": "To the counselor",
        "crisis_cases": "Crisis cases (counselor alerts)",
        "ack_median": "Time to acknowledgment, median (minutes)",
        "ack_p90": "Time to acknowledgment, p90 (minutes)", "unacknowledged": "Not acknowledged",
        "first_reply": "Time to first human reply, median (minutes)",
        "first_reply_p90": "Time to first human reply, p90 (minutes)",
        "unanswered": "Closed without a staff reply", "dead_letters": "Messages not delivered",
        "surveys": "Ratings", "mean": "Mean", "selfhelp": "Self-help exercises",
        "appointments": "Appointment requests", "confirmed": "Appointments confirmed",
        "groups": "Group session sign-ups", "week": "Week starting", "count": "Count",
        "chart_weeks": "Cases per week, by route", "chart_scores": "Satisfaction distribution",
        "chart_services": "Use of services", "na": "-",
    },
}


@dataclass
class Table:
    title: str
    header: tuple[str, str]
    rows: list[tuple[str, str]]


def _minutes(value: float | None, na: str) -> str:
    return na if value is None else f"{value:.1f}"


def tables(data: ReportData, lang: str, topic_names: dict[str, str]) -> list[Table]:
    """The report's tables, small counts already suppressed."""
    t = LABELS.get(lang, LABELS["id"])
    na = t["na"]
    mean = data.satisfaction
    overview = [
        (t["cases"], suppress(data.cases)),
        (t["peer"], suppress(data.cases_by_route["peer"])),
        (t["counselor"], suppress(data.cases_by_route["counselor"])),
        (t["crisis_cases"], suppress(data.crisis_cases)),
        (t["first_reply"], _minutes(median(data.first_reply_minutes), na)),
        (t["first_reply_p90"], _minutes(percentile(data.first_reply_minutes, 0.9), na)),
        (t["unanswered"], suppress(data.unanswered)),
        (t["dead_letters"], suppress(data.dead_letters)),
    ]
    crisis = [
        (t["crisis_cases"], suppress(data.crisis_cases)),
        (t["ack_median"], _minutes(median(data.ack_minutes), na)),
        (t["ack_p90"], _minutes(percentile(data.ack_minutes, 0.9), na)),
        (t["unacknowledged"], suppress(data.unacknowledged)),
    ]
    weeks = [(week, suppress(sum(data.cases_by_week.get(week, {}).values())))
             for week in data.weeks]
    topics = [(topic_names.get(k, k), suppress(v)) for k, v in data.cases_by_topic.most_common()]
    weights = [(f"{k}/3", suppress(v)) for k, v in sorted(data.cases_by_weight.items())]
    peers = [(name, str(v)) for name, v in data.peer_workload.most_common()]
    scores = [(str(s), suppress(data.scores.get(s, 0))) for s in range(1, 6)]
    scores += [(t["surveys"], suppress(data.surveys)),
               (t["mean"], na if mean is None else f"{mean:.2f}")]
    services = [(t["selfhelp"], suppress(data.selfhelp))]
    services += [(name, suppress(v)) for name, v in sorted(data.services.items())
                 if not name.startswith("selfhelp_")]
    services += [(t["appointments"], suppress(data.appointments)),
                 (t["confirmed"], suppress(data.appointments_confirmed)),
                 (t["groups"], suppress(data.group_signups))]
    head = ("", t["count"])
    return [
        Table(t["overview"], head, overview),
        Table(t["weeks"], (t["week"], t["cases"]), weeks),
        Table(t["topics"], head, topics),
        Table(t["weights"], head, weights),
        Table(t["crisis"], head, crisis),
        Table(t["peers"], head, peers),  # staff workload: staff are not suppressed
        Table(t["satisfaction"], head, scores),
        Table(t["services"], head, services),
    ]


def chart_images(data: ReportData, lang: str) -> dict[str, bytes]:
    """PNG charts by name: weekly cases by route, satisfaction, services."""
    t = LABELS.get(lang, LABELS["id"])
    series = weeks_series(data)
    names = {"peer": t["peer"], "counselor": t["counselor"], "crisis": t["crisis"]}
    services = {t["selfhelp"]: data.selfhelp, t["appointments"]: data.appointments,
                t["groups"]: data.group_signups}
    return {
        "weeks": charts.stacked_weeks(data.weeks, series, names, t["chart_weeks"]),
        "satisfaction": charts.bars([str(s) for s in range(1, 6)],
                                    [data.scores.get(s, 0) for s in range(1, 6)],
                                    t["chart_scores"], color="#4C9F70"),
        "services": charts.bars(list(services), list(services.values()), t["chart_services"],
                                color="#8E6C8A"),
    }


def _title(data: ReportData, lang: str, school: str) -> tuple[str, str]:
    t = LABELS.get(lang, LABELS["id"])
    title = f"{t['title']} · {t['synthetic']}" if data.synthetic else t["title"]
    return title, f"{t['school']}: {school} · {t['period']}: {data.start} – {data.end}"


def markdown(data: ReportData, lang: str, school: str, topic_names: dict[str, str]) -> str:
    title, subtitle = _title(data, lang, school)
    out = [f"# {title}", "", subtitle, "", f"_{LABELS.get(lang, LABELS['id'])['note']}_", ""]
    for table in tables(data, lang, topic_names):
        out += [f"## {table.title}", "", f"| {table.header[0]} | {table.header[1]} |",
                "|---|---:|"]
        out += [f"| {key} | {value} |" for key, value in table.rows] or ["| - | - |"]
        out.append("")
    return "\n".join(out)


def csv_text(data: ReportData, lang: str, topic_names: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "item", "value"])
    if data.synthetic:
        writer.writerow(["-", LABELS.get(lang, LABELS["id"])["synthetic"], ""])
    for table in tables(data, lang, topic_names):
        for key, value in table.rows:
            writer.writerow([table.title, key, value])
    return buffer.getvalue()


def html_page(data: ReportData, lang: str, school: str, topic_names: dict[str, str]) -> str:
    """One HTML file with the charts embedded (opens offline in any browser)."""
    title, subtitle = _title(data, lang, school)
    parts = [
        "<!doctype html>", f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:820px;margin:2em auto;"
        "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}"
        "td:last-child{text-align:right}img{max-width:100%}.note{color:#555}</style>",
        "</head><body>", f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(subtitle)}</p>",
        f'<p class="note">{html.escape(LABELS.get(lang, LABELS["id"])["note"])}</p>',
    ]
    for name, png in chart_images(data, lang).items():
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(f'<img alt="{name}" src="data:image/png;base64,{encoded}">')
    for table in tables(data, lang, topic_names):
        parts.append(f"<h2>{html.escape(table.title)}</h2><table>")
        parts += [f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                  for k, v in table.rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
