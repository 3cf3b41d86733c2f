"""One WhatsApp app webhook for a district: each school's number routed to its school."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import App
from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel, WhatsAppSettings
from bot.schools import registry
from bot.schools.config import load_school_config
from bot.schools.whatsapp_router import Route, WhatsAppRouter, split
from tests.conftest import SECRET, place_migrated
from tests.e2e.conftest import serve
from tests.fakewa import FakeWhatsApp

NUMBERS = {"smpn1": "1000001", "smpn2": "2000002"}


def test_split_gives_each_number_only_its_own_changes() -> None:
    one, two = FakeWhatsApp(phone_number_id="1"), FakeWhatsApp(phone_number_id="2")
    _, a = one.message("6281", "text", {"body": "satu"})
    _, b = two.message("6282", "text", {"body": "dua"})
    body = {"object": a["object"], "entry": a["entry"] + b["entry"]}
    parts = split(body)
    assert set(parts) == {"1", "2"}
    assert "dua" not in str(parts["1"]) and "satu" not in str(parts["2"])
    assert parts["2"]["object"] == "whatsapp_business_account"


@pytest.fixture
async def district(project: Path, config, sqlite_template, monkeypatch
                   ) -> AsyncIterator[tuple[dict, str]]:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    path = project / "config.yaml"
    fakes, apps, routes = {}, [], {}
    for school, number in NUMBERS.items():
        registry.add(path, school, school.upper())
        file = project / "schools" / f"{school}.yaml"
        file.write_text(file.read_text() +
                        f'channels:\n  whatsapp:\n    phone_number_id: "{number}"\n')
        school_config = load_school_config(path, school)
        place_migrated(school_config, sqlite_template)
        fake = FakeWhatsApp(phone_number_id=number)  # one app: one secret, one verify token
        await fake.start()
        settings = WhatsAppSettings(fake.token, number, fake.app_secret, fake.verify_token,
                                    fake.base_url)
        channel = WhatsAppChannel(settings, SECRET, school_config.whatsapp,
                                  school_config.school.name, timeout=2.0)
        app = await App.build(school_config, {channel.name: channel}, secret=SECRET)
        channel.bind(app.store, app.vault)
        await channel.start()
        await app.start()
        fakes[school], routes[number] = fake, Route(channel, app.dispatcher.accept_many,
                                                    app.sender.delivery_reports)
        apps.append((app, channel))
    server = web.Application()
    WhatsAppRouter(routes).add_routes(server)
    runner, base = await serve(server)
    for fake in fakes.values():
        fake.webhook_url = base + WEBHOOK_PATH
    yield fakes, base
    for fake in fakes.values():
        await fake.settled(timeout=5)
    await runner.cleanup()
    for app, channel in apps:
        await app.stop()
        await channel.stop()
    for fake in fakes.values():
        await fake.stop()


async def test_each_schools_number_reaches_only_its_school(district) -> None:
    fakes, _ = district
    one, two = fakes["smpn1"], fakes["smpn2"]
    one.say("6281111", "halo")
    two.say("6282222", "halo dari sekolah dua")
    await one.wait_text("6281111", "Hai, aku Sebaya", timeout=15)
    await two.wait_text("6282222", "Hai, aku Sebaya", timeout=15)
    assert one.to("6282222") == [] and two.to("6281111") == []  # each answered by its own


async def test_a_body_for_both_numbers_is_split_and_a_foreign_number_ignored(district) -> None:
    fakes, _ = district
    one, two = fakes["smpn1"], fakes["smpn2"]
    _, a = one.message("6283333", "text", {"body": "halo"})
    _, b = two.message("6284444", "text", {"body": "halo"})
    _, c = FakeWhatsApp(phone_number_id="999").message("6285555", "text", {"body": "halo"})
    body = {"object": a["object"], "entry": a["entry"] + b["entry"] + c["entry"]}
    assert await one.post(body) == 200
    await one.wait_text("6283333", "Hai, aku Sebaya", timeout=15)
    await two.wait_text("6284444", "Hai, aku Sebaya", timeout=15)
    assert one.to("6285555") == [] and two.to("6285555") == []
    assert await one.post(body, signature="sha256=00") == 401
