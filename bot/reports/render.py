"""Render ReportData as Markdown, CSV or a self-contained HTML page with embedded charts.

The figures come from ``tables`` (already protected, see ``suppression``) and the summary
from ``summary``, so the three formats can never disagree about what is shown.
"""

from __future__ import annotations

import base64
import csv
import html
import io

from bot.reports import charts, numbers
from bot.reports.figures import ReportData, weeks_series
from bot.reports.labels import labels
from bot.reports.summary import paragraph
from bot.reports.tables import ROUTES, Names, Table, partial_weeks, protected, tables

__all__ = ["Names", "Table", "chart_images", "csv_text", "html_page", "markdown", "tables"]

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:820px;margin:2em auto;padding:0 1em;"
    "color:#222;line-height:1.45}table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}"
    "thead th{border-bottom:2px solid #999;font-weight:600}tbody th{font-weight:normal}"
    "td{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%}"
    "td.empty{text-align:left;color:#555;font-style:italic}.meta,.note{color:#555}.note{font-size:.9em}"
    ".synthetic{border:3px solid #C8553D;background:#FBEAE6;color:#8A2E1B;font-weight:700;"
    "font-size:1.2em;padding:.6em 1em;margin:0 0 1em;text-align:center}"
    ".summary{font-size:1.05em;background:#F4F7F5;padding:.8em 1em;border-left:4px solid "
    "#4C9F70}figure{margin:1em 0}"
)


def chart_images(data: ReportData, lang: str) -> dict[str, bytes]:
    """PNG charts by name: weekly cases by route, satisfaction, services."""
    t = labels(lang)
    shown = protected(data)
    route_names = {"peer": t["peer"], "counselor": t["counselor"], "crisis": t["crisis_route"]}
    services = {t["selfhelp"].split(" (")[0]: shown["selfhelp"],
                t["appointments"]: shown["appointments"], t["groups"]: shown["groups"]}
    series = weeks_series(data)
    mark = data.synthetic
    return {
        "weeks": charts.stacked_weeks(data.weeks, {r: series[r] for r in ROUTES}, route_names,
                                      t["chart_weeks"], lang, shown, synthetic=mark,
                                      partial=partial_weeks(data)),
        "satisfaction": charts.bars([str(s) for s in range(1, 6)],
                                    [shown[("score", s)] for s in range(1, 6)],
                                    t["chart_scores"], color="#4C9F70", lang=lang,
                                    synthetic=mark),
        "services": charts.bars(list(services), list(services.values()), t["chart_services"],
                                color="#8E6C8A", lang=lang, synthetic=mark),
    }


def _meta(data: ReportData, lang: str, school: str) -> str:
    t = labels(lang)
    parts = [f"{t['school']}: {school}",
             f"{t['period']}: {numbers.period(data.start, data.end, lang)}"]
    if data.generated_at is not None:
        parts.append(f"{t['generated']}: {numbers.moment(data.generated_at, lang)}")
    return " · ".join(parts)


def _names(names: Names | dict | None) -> Names:
    if isinstance(names, Names):
        return names
    return Names(topics=names or {})


def markdown(data: ReportData, lang: str, school: str, names: Names | dict | None = None) -> str:
    t = labels(lang)
    out = []
    if data.synthetic:
        out += [f"> **{t['synthetic']}**", ""]
    out += [f"# {t['title']}", "", _meta(data, lang, school), "",
            f"## {t['summary']}", "", paragraph(data, lang), "", f"_{t['note']}_", ""]
    for table in tables(data, lang, _names(names)):
        out += [f"## {table.title}", "", "| " + " | ".join(table.header) + " |",
                "|---|" + "---:|" * (len(table.header) - 1)]
        out += ["| " + " | ".join(row) + " |" for row in table.rows]
        if not table.rows:
            out.append(f"| {t['empty']} |" + " |" * (len(table.header) - 1))
        out += ["", f"_{table.note}_", ""] if table.note else [""]
    return "\n".join(out)


def csv_text(data: ReportData, lang: str, names: Names | dict | None = None) -> str:
    """One row per figure: section, item, column, value (the synthetic mark first)."""
    t = labels(lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "item", "column", "value"])
    if data.synthetic:
        writer.writerow(["-", t["synthetic"], "", ""])
    if data.generated_at is not None:
        writer.writerow(["-", t["generated"], "", numbers.moment(data.generated_at, lang)])
    for table in tables(data, lang, _names(names)):
        for row in table.rows:
            for column, value in zip(table.header[1:], row[1:], strict=True):
                writer.writerow([table.title, row[0], column, value])
    return buffer.getvalue()


def _table_html(table: Table, empty: str) -> list[str]:
    esc = html.escape
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in table.header)
    out = [f"<h2>{esc(table.title)}</h2>", "<table>", f"<thead><tr>{head}</tr></thead>",
           "<tbody>"]
    for row in table.rows:
        cells = "".join(f"<td>{esc(v)}</td>" for v in row[1:])
        out.append(f'<tr><th scope="row">{esc(row[0])}</th>{cells}</tr>')
    if not table.rows:
        out.append(f'<tr><td class="empty" colspan="{len(table.header)}">{esc(empty)}</td></tr>')
    out += ["</tbody>", "</table>"]
    if table.note:
        out.append(f'<p class="note">{esc(table.note)}</p>')
    return out


def html_page(data: ReportData, lang: str, school: str, names: Names | dict | None = None) -> str:
    """One HTML file with the charts embedded (opens offline in any browser)."""
    t = labels(lang)
    esc = html.escape
    title = f"{t['synthetic_mark']}: {t['title']}" if data.synthetic else t["title"]
    parts = ["<!doctype html>", f'<html lang="{lang}"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(title)}</title>", f"<style>{STYLE}</style>", "</head><body>"]
    if data.synthetic:
        parts.append(f'<div class="synthetic" role="note">{esc(t["synthetic"])}</div>')
    parts += [f"<h1>{esc(t['title'])}</h1>", f'<p class="meta">{esc(_meta(data, lang, school))}'
              "</p>", f"<h2>{esc(t['summary'])}</h2>",
              f'<p class="summary">{esc(paragraph(data, lang))}</p>',
              f'<p class="note">{esc(t["note"])}</p>']
    captions = {"weeks": t["chart_weeks"], "satisfaction": t["chart_scores"],
                "services": t["chart_services"]}
    for name, png in chart_images(data, lang).items():
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure><img alt="{esc(captions[name])}" '
                     f'src="data:image/png;base64,{encoded}"></figure>')
    for table in tables(data, lang, _names(names)):
        parts += _table_html(table, t["empty"])
    parts.append("</body></html>")
    return "\n".join(parts)
