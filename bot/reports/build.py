"""``sebaya report``: gather, render and write a report for a date range."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import aiosqlite

from bot.config import Config, load_secret
from bot.core.angket import load_angkets
from bot.core.identity import IdentityVault
from bot.errors import SebayaError
from bot.reports import render
from bot.reports.angket import gather_angkets
from bot.reports.coverage import gather_coverage
from bot.reports.data import gather
from bot.reports.figures import ReportData
from bot.reports.seed import DEMO_SECRET, demo_path
from bot.reports.tables import Names
from bot.store import roster as roster_store
from bot.store.db import Store
from bot.store.port import open_store

FORMATS = ("md", "csv", "html")


def default_out_dir(config: Config) -> Path:
    """Where reports go unless ``--out`` says otherwise: ``reports/`` beside the database
    (data/ by default), never the folder the command was started in (often the code)."""
    out = config.database_path.parent / "reports"
    return out / config.school_id if config.school_id else out  # a school's: its own folder


def names(config: Config, lang: str) -> Names:
    """Topic and service labels from the text catalogs and flows (the words students saw)."""
    from bot.app import load_flow_bundle

    bundle = load_flow_bundle(config)
    catalog = bundle.catalog
    keys = ("belajar", "pertemanan", "keluarga", "perundungan", "perasaan", "percintaan",
            "lainnya", "karier")
    services: dict[str, str] = {}
    for flow in bundle.flows.values():
        for state in flow.states.values():
            for button in state.buttons:
                for branch in button.handler.branches:
                    for action in branch.actions:
                        if action.name == "track":
                            label = catalog.render(button.text, lang, {})
                            if str(action.arg).startswith("info_"):
                                label = f"Info: {label}"
                            services.setdefault(str(action.arg), label)
    return Names({k: catalog.get(f"topic.{k}", lang) for k in keys}, services)


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length that ends the day before ``start``."""
    return start - (end - start) - dt.timedelta(days=1), start - dt.timedelta(days=1)


async def load(config: Config, start: dt.date, end: dt.date, demo: bool = False,
               now: dt.datetime | None = None) -> ReportData:
    """The figures of the real database, or (``demo``) of the synthetic month, with the
    previous period's for comparison."""
    if demo:
        path = demo_path(config.database_path)
        if not path.exists():
            raise SebayaError(f"{path} does not exist: run sebaya demo --seed-data first")
        store = await Store.open(path, IdentityVault(DEMO_SECRET))
    else:
        store = await open_store(config.database_path, config.database_url(),
                                 IdentityVault(load_secret(config), config.school_id),
                                 school=config.school_id)
    try:
        async with store.transaction() as db:
            return await collect(db, config, start, end,
                                 (now or dt.datetime.now(dt.UTC)).astimezone(config.tz))
    finally:
        await store.close()


async def collect(db: aiosqlite.Connection, config: Config, start: dt.date, end: dt.date,
                  moment: dt.datetime) -> ReportData:
    """Every figure of the report from an open database (``sebaya report`` and the web view):
    the period's, the previous period's, the angkets open in it, the synthetic mark."""
    data = await gather(db, start, end, config.tz)
    before = await gather(db, *previous_period(start, end), config.tz)
    data.angkets = await gather_angkets(
        db, load_angkets(config.flows_dir, tuple(config.languages.available)),
        dt.datetime.combine(start, dt.time(), tzinfo=config.tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=config.tz))
    data.coverage = await gather_coverage(db, await roster_store.in_use(db, config), start,
                                          end, config.tz, moment)
    synthetic = await db.execute_fetchall(
        "SELECT 1 FROM meta WHERE key = 'synthetic' AND value = '1'")
    return replace(data, synthetic=bool(synthetic), previous=before, generated_at=moment)


async def write(config: Config, start: dt.date, end: dt.date, fmt: str, out_dir: Path | None,
                lang: str | None = None, demo: bool = False) -> list[Path]:
    """Write the report (and, for Markdown, its chart images) into ``out_dir``."""
    lang = lang or config.languages.default
    out_dir = out_dir or default_out_dir(config)
    data = await load(config, start, end, demo)
    words = names(config, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"sebaya-report-{start}-{end}" + ("-demo" if data.synthetic else "")
    written: list[Path] = []
    if fmt == "md":
        text = render.markdown(data, lang, config.school.name, words)
        for name, png in render.chart_images(data, lang).items():
            image = out_dir / f"{stem}-{name}.png"
            image.write_bytes(png)
            written.append(image)
            text += f"\n![{name}]({image.name})\n"
        path = out_dir / f"{stem}.md"
        path.write_text(text, encoding="utf-8")
    elif fmt == "csv":
        path = out_dir / f"{stem}.csv"
        path.write_text(render.csv_text(data, lang, words), encoding="utf-8")
    else:
        path = out_dir / f"{stem}.html"
        path.write_text(render.html_page(data, lang, config.school.name, words),
                        encoding="utf-8")
    return [path, *written]
