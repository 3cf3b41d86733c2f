"""``sebaya report``: gather, render and write a report for a date range."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from bot.config import Config, load_secret
from bot.core.identity import IdentityVault
from bot.errors import SebayaError
from bot.reports import render
from bot.reports.data import gather
from bot.reports.figures import ReportData
from bot.reports.seed import DEMO_SECRET, demo_path
from bot.store.db import Store
from bot.store.port import open_store

FORMATS = ("md", "csv", "html")


def topic_names(config: Config, lang: str) -> dict[str, str]:
    """Topic labels from the text catalogs (the words guru BK already uses)."""
    from bot.app import load_flow_bundle

    catalog = load_flow_bundle(config).catalog
    keys = ("belajar", "pertemanan", "keluarga", "perundungan", "perasaan", "percintaan",
            "lainnya", "karier")
    return {k: catalog.get(f"topic.{k}", lang) for k in keys}


async def load(config: Config, start: dt.date, end: dt.date, demo: bool = False) -> ReportData:
    """The figures of the real database, or (``demo``) of the synthetic month."""
    if demo:
        path = demo_path(config.database_path)
        if not path.exists():
            raise SebayaError(f"{path} does not exist: run sebaya demo --seed-data first")
        store = await Store.open(path, IdentityVault(DEMO_SECRET))
    else:
        store = await open_store(config.database_path, config.database_url(),
                                 IdentityVault(load_secret(config)))
    try:
        async with store.transaction() as db:
            data = await gather(db, start, end, config.tz)
            synthetic = await db.execute_fetchall(
                "SELECT 1 FROM meta WHERE key = 'synthetic' AND value = '1'")
            return replace(data, synthetic=bool(synthetic))
    finally:
        await store.close()


async def write(config: Config, start: dt.date, end: dt.date, fmt: str, out_dir: Path,
                lang: str | None = None, demo: bool = False) -> list[Path]:
    """Write the report (and, for Markdown, its chart images) into ``out_dir``."""
    lang = lang or config.languages.default
    data = await load(config, start, end, demo)
    names = topic_names(config, lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"sebaya-report-{start}-{end}"
    written: list[Path] = []
    if fmt == "md":
        text = render.markdown(data, lang, config.school.name, names)
        for name, png in render.chart_images(data, lang).items():
            image = out_dir / f"{stem}-{name}.png"
            image.write_bytes(png)
            written.append(image)
            text += f"\n![{name}]({image.name})\n"
        path = out_dir / f"{stem}.md"
        path.write_text(text, encoding="utf-8")
    elif fmt == "csv":
        path = out_dir / f"{stem}.csv"
        path.write_text(render.csv_text(data, lang, names), encoding="utf-8")
    else:
        path = out_dir / f"{stem}.html"
        path.write_text(render.html_page(data, lang, config.school.name, names),
                        encoding="utf-8")
    return [path, *written]
