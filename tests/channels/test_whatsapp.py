"""The WhatsApp channel on its own: shapes, payloads, Meta's error codes, templates outside the
window, numbered menus, identities, statuses; against the Graph API fake where it sends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.wa_client import GraphError
from bot.channels.whatsapp import (
    WhatsAppChannel,
    WhatsAppSettings,
    _scrub,
    list_payload,
    one_line,
    shape_of,
)
from bot.config import WhatsApp, WhatsAppTemplate, load_config
from bot.core.events import Button, Kind, OutboundMessage, SendStatus
from bot.core.identity import IdentityVault
from bot.errors import ConfigError
from bot.store.db import Store
from tests.conftest import SECRET
from tests.fakewa import FakeWhatsApp

USER = "6281234500001"
RULES = WhatsApp(templates={
    "alert": WhatsAppTemplate(name="sebaya_alert", parameters=["headline"], button=True),
    "notice": WhatsAppTemplate(name="sebaya_notice", parameters=["code"]),
    "reminder": WhatsAppTemplate(name="sebaya_reminder", parameters=["text"]),
    "queue": WhatsAppTemplate(name="sebaya_update", parameters=["text"])})


@pytest.fixture
async def fakewa() -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def channel(fakewa: FakeWhatsApp, tmp_path: Path) -> AsyncIterator[WhatsAppChannel]:
    settings = WhatsAppSettings(fakewa.token, fakewa.phone_number_id, fakewa.app_secret,
                                fakewa.verify_token, fakewa.base_url)
    wa = WhatsAppChannel(settings, SECRET, RULES, "SMP Contoh", timeout=2.0)
    store = await Store.open(tmp_path / "wa.db", IdentityVault(SECRET))
    wa.bind(store)
    await wa.start()
    yield wa
    await wa.stop()
    await store.close()


def _buttons(n: int, label: str = "Pilihan") -> tuple[Button, ...]:
    return tuple(Button(f"{label} {i}", f"f:s:b{i}") for i in range(1, n + 1))


def test_shapes_follow_whatsapps_limits() -> None:
    assert shape_of([]).kind == "text"
    assert shape_of(["Ya", "Tidak"]).kind == "buttons"
    assert shape_of(["1", "2", "3", "4", "5"]).kind == "list"
    assert shape_of(["Satu label yang panjang sekali", "Dua"]).kind == "list"  # over 20
    assert shape_of(["Sama", "Sama"]).kind == "list"  # reply button titles must differ
    assert shape_of([f"o{i}" for i in range(10)]).kind == "list"
    numbered = shape_of([f"o{i}" for i in range(11)])
    assert numbered.kind == "numbered" and "numbered text" in numbered.notes[0]
    cut = shape_of(["Aku mau cerita soal keluarga di rumah", "b", "c", "d"])
    assert any("cut to 24" in note for note in cut.notes)


def test_a_long_label_is_cut_in_the_row_and_kept_in_its_description() -> None:
    payload = list_payload(USER, "Pilih", (Button("Aku mau cerita soal keluarga di rumah",
                                                  "f:t:k"),))
    [row] = payload["interactive"]["action"]["sections"][0]["rows"]
    assert len(row["title"]) == 24 and row["title"].endswith("…")
    assert row["description"] == "Aku mau cerita soal keluarga di rumah"
    assert payload["to"] == USER and "recipient" not in payload


def test_phone_numbers_are_scrubbed_from_meta_error_texts() -> None:
    assert _scrub("131026 Recipient +62 812-3450-0001 is not allowed") == \
        "131026 Recipient [number] is not allowed"


def test_template_parameters_are_one_line() -> None:
    assert one_line("a\n\n b\tc    d", 100) == "a · b c d"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"
    assert one_line("  ", 10) == "-"


def test_settings_come_from_the_environment_whole_or_not_at_all() -> None:
    assert WhatsAppSettings.from_env({}) is None
    with pytest.raises(ValueError, match="WHATSAPP_APP_SECRET"):
        WhatsAppSettings.from_env({"WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1",
                                   "WHATSAPP_VERIFY_TOKEN": "v"})
    full = WhatsAppSettings.from_env({
        "WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1",
        "WHATSAPP_APP_SECRET": "s", "WHATSAPP_VERIFY_TOKEN": "v",
        "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9/v23.0"})
    assert full is not None and full.base_url == "http://127.0.0.1:9/v23.0"


@pytest.mark.parametrize(("http", "code", "urgent", "status", "recipient_only"), [
    (400, 131056, False, SendStatus.RETRY_AFTER, True),
    (400, 130429, False, SendStatus.RETRY_AFTER, False),
    (429, 4, False, SendStatus.RETRY_AFTER, False),
    (400, 80007, False, SendStatus.RETRY_AFTER, False),
    (500, 131000, False, SendStatus.TRANSIENT, False),
    (503, 0, False, SendStatus.TRANSIENT, False),
    (400, 131016, False, SendStatus.TRANSIENT, False),
    (400, 131026, False, SendStatus.PERMANENT, False),
    (400, 131051, False, SendStatus.PERMANENT, False),
    (400, 131049, False, SendStatus.PERMANENT, False),
    (401, 190, False, SendStatus.TRANSIENT, False),  # waits for the operator to fix the token
    (401, 190, True, SendStatus.PERMANENT, False),  # ... but a crisis alert climbs on
    (400, 368, False, SendStatus.TRANSIENT, False),
    (400, 132001, False, SendStatus.TRANSIENT, False),
    (400, 100, False, SendStatus.PERMANENT, False),
])
def test_meta_error_codes(channel: WhatsAppChannel, http: int, code: int, urgent: bool,
                          status: SendStatus, recipient_only: bool, caplog) -> None:
    result = channel._classify(GraphError(http, code, "x"),
                               OutboundMessage("whatsapp", USER, "halo", urgent=urgent))
    assert result.status is status and result.recipient_only is recipient_only
    if code in (190, 368, 132001):
        assert "WHATSAPP NEEDS THE OPERATOR" in caplog.text


def test_status_reports_are_read_and_classified(channel: WhatsAppChannel,
                                                fakewa: FakeWhatsApp) -> None:
    def status(state: str, code: int | None = None) -> dict:
        body = {"id": f"wamid.{state}{code}", "status": state, "timestamp": "1",
                "recipient_id": USER}
        if code is not None:
            body["errors"] = [{"code": code, "title": "x"}]
        return body

    body = fakewa.envelope({"statuses": [
        status("delivered"), status("read"), status("deleted"), status("failed", 131047),
        status("failed", 131000), status("failed", 131026), status("failed", 131049)]})
    reports = channel.read(body).statuses
    assert [(r.state, r.outcome, r.detail) for r in reports] == [
        ("delivered", "", ""), ("read", "", ""), ("failed", "window", "131047"),
        ("failed", "retry", "131000"), ("failed", "permanent", "131026"),
        ("failed", "permanent", "131049")]
    assert all(r.ref.startswith("h") and "wamid" not in r.ref for r in reports)


async def test_more_than_ten_options_become_a_numbered_menu(channel: WhatsAppChannel,
                                                            fakewa: FakeWhatsApp) -> None:
    fakewa.last_inbound[USER] = fakewa.clock()
    result = await channel.send(OutboundMessage("whatsapp", USER, "Pilih kasus:", _buttons(12)))
    assert result.status is SendStatus.OK
    [sent] = fakewa.sent_to(USER)
    assert sent.kind == "text" and "12. Pilihan 12" in sent.text and "angkanya" in sent.text

    async def event_for(text: str):
        _, body = fakewa.message(USER, "text", {"body": text})
        return (await channel.events(channel.read(body).messages))[0]

    pressed = await event_for("12")
    assert (pressed.kind, pressed.data, pressed.text) == (Kind.BUTTON, "f:s:b12", "Pilihan 12")
    assert (await event_for("13")).kind is Kind.TEXT  # not an option
    assert (await event_for("aku 12 tahun")).kind is Kind.TEXT
    await channel.send(OutboundMessage("whatsapp", USER, "Lagi?", _buttons(2)))
    assert (await event_for("1")).kind is Kind.TEXT  # newer buttons replaced the menu


async def test_long_texts_are_split_and_buttons_ride_on_a_short_last_part(
        channel: WhatsAppChannel, fakewa: FakeWhatsApp) -> None:
    fakewa.last_inbound[USER] = fakewa.clock()
    text = ("kalimat panjang " * 375).strip()  # 6000 characters
    result = await channel.send(OutboundMessage("whatsapp", USER, text, _buttons(2)))
    assert result.status is SendStatus.OK and not fakewa.refused
    parts = fakewa.sent_to(USER)
    assert [p.kind for p in parts] == ["text", "text", "buttons"]
    assert len(parts[-1].text) <= 1024 and all(len(p.text) <= 4096 for p in parts)
    assert " ".join(p.text for p in parts).split() == text.split()


async def test_outside_the_window_only_templates_go(channel: WhatsAppChannel,
                                                    fakewa: FakeWhatsApp) -> None:
    def msg(purpose: str, text: str = "Pengingat: janji temu besok 09.00\ndi Ruang BK",
            buttons: tuple[Button, ...] = (), code: str = "K7Q2", urgent: bool = False):
        return OutboundMessage("whatsapp", USER, text, buttons, window_open=False,
                               purpose=purpose, case_code=code, urgent=urgent)

    reminder = await channel.send(msg("reminder"))
    assert reminder.status is SendStatus.OK
    assert fakewa.sent[-1].params == ["Pengingat: janji temu besok 09.00 · di Ruang BK"]
    notice = await channel.send(msg("notice", "#K7Q2 Kucing Biru: aku takut"))
    assert notice.status is SendStatus.HELD and notice.ref  # announced, and it waits
    assert fakewa.sent[-1].template == "sebaya_notice" and fakewa.sent[-1].params == ["K7Q2"]
    again = await channel.send(msg("notice", "#K7Q2 Kucing Biru: masih di sini"))
    assert again.status is SendStatus.HELD and not again.ref  # no second knock so soon
    plain = await channel.send(msg(""))
    assert plain.status is SendStatus.HELD and len(fakewa.sent) == 2
    channel.templates.clear()
    alert = await channel.send(msg("alert", "🚨 BUTUH GURU BK", (Button("Saya tangani",
                                                                        "k:take:K7Q2"),)))
    assert alert.status is SendStatus.PERMANENT  # the ladder must climb at once
    assert (await channel.send(msg("reminder"))).status is SendStatus.HELD
    assert not fakewa.refused


async def test_a_refused_template_holds_or_climbs(channel: WhatsAppChannel,
                                                  fakewa: FakeWhatsApp) -> None:
    del fakewa.templates["sebaya_alert"]  # not approved (yet)
    alert = OutboundMessage("whatsapp", USER, "🚨 BUTUH GURU BK", (Button("Saya tangani",
                                                                         "k:take:K7Q2"),),
                            window_open=False, purpose="alert", urgent=True, case_code="K7Q2")
    assert (await channel.send(alert)).status is SendStatus.PERMANENT


async def test_retractions_are_no_ops_and_charts_go_as_images(channel: WhatsAppChannel,
                                                              fakewa: FakeWhatsApp) -> None:
    fakewa.last_inbound[USER] = fakewa.clock()
    result = await channel.send(OutboundMessage("whatsapp", USER, "", edit_ref="h123"))
    assert result.status is SendStatus.OK and fakewa.calls.get("messages", 0) == 0
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    result = await channel.send(OutboundMessage("whatsapp", USER, "Kasus per minggu",
                                                image=png))
    assert result.status is SendStatus.OK
    [image] = fakewa.sent_to(USER)
    assert image.kind == "image" and image.image == png and image.text == "Kasus per minggu"


async def test_identities_link_wa_id_and_bsuid(channel: WhatsAppChannel,
                                               fakewa: FakeWhatsApp) -> None:
    async def user_of(message: dict, contact: dict) -> str:
        [event] = await channel.events([(message, contact)])
        return event.user_id

    both = await user_of({"id": "w1", "type": "text", "text": {"body": "a"}, "from": USER,
                          "from_user_id": "ID.77"}, {"wa_id": USER, "user_id": "ID.77"})
    only_bsuid = await user_of({"id": "w2", "type": "text", "text": {"body": "b"},
                                "from_user_id": "ID.77"}, {"user_id": "ID.77"})
    only_phone = await user_of({"id": "w3", "type": "text", "text": {"body": "c"},
                                "from": USER}, {"wa_id": USER})
    assert both == only_bsuid == only_phone and USER not in both
    changed = {"id": "w4", "type": "system", "from": USER,
               "system": {"type": "user_changed_number", "wa_id": "6289999999999"}}
    assert await channel.events([(changed, {})]) == []
    assert await user_of({"id": "w5", "type": "text", "text": {"body": "d"},
                          "from": "6289999999999"}, {}) == both


async def test_inbound_kinds(channel: WhatsAppChannel, fakewa: FakeWhatsApp) -> None:
    async def one(kind: str, body, **extra):
        _, envelope = fakewa.message(USER, kind, body, **extra)
        events = await channel.events(channel.read(envelope).messages)
        return events[0] if events else None

    text = await one("text", {"body": "/start"})
    assert text.kind is Kind.COMMAND and text.meta["at"] > 0
    reply = await one("interactive", {"type": "list_reply", "list_reply": {
        "id": "f:topic:teman", "title": "Pertemanan"}})
    assert (reply.kind, reply.data) == (Kind.BUTTON, "f:topic:teman")
    quick = await one("button", {"payload": "k:take:K7Q2", "text": "Tanggapi"})
    assert (quick.kind, quick.data) == (Kind.BUTTON, "k:take:K7Q2")
    image = await one("image", {"id": "m1", "caption": "lihat ini"})
    assert (image.kind, image.text, image.meta["media"]) == (Kind.UNSUPPORTED, "lihat ini",
                                                             "image")
    reaction = await one("reaction", {"message_id": "wamid.x", "emoji": "👍"})
    assert reaction.kind is Kind.UNSUPPORTED
    edited = await one("edit", {"original_message_id": "wamid.y",
                                "message": {"type": "text", "text": {"body": "sebenernya"}}})
    assert (edited.kind, edited.text) == (Kind.TEXT, "sebenernya")
    replied = await one("text", {"body": "oke"}, context="wamid.OUT1")
    assert replied.meta["reply_to"] == channel.ref_of("wamid.OUT1")
    assert await one("text", {"body": "grup"}, group_id="12036") is None


def test_whatsapp_config_is_validated_with_file_and_line(project: Path) -> None:
    path = project / "config.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: sebaya_notice", "name: Sebaya Notice"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "whatsapp.templates.notice.name" in str(caught.value)
    assert f":{text.splitlines().index('      name: sebaya_notice') + 1}" in str(caught.value)
    path.write_text(re.sub(r"\n +button: true[^\n]*", "", text), encoding="utf-8")
    with pytest.raises(ConfigError, match="alert template must have button"):
        load_config(path)
    path.write_text(text.replace("parameters: [code]", "parameters: [phone]"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="parameters"):
        load_config(path)


async def test_the_number_gets_the_students_command_menu_from_the_declarations(
        fakewa: FakeWhatsApp, tmp_path: Path) -> None:
    from bot.core.features import standard_registry

    settings = WhatsAppSettings(fakewa.token, fakewa.phone_number_id, fakewa.app_secret,
                                fakewa.verify_token, fakewa.base_url)
    wa = WhatsAppChannel(settings, SECRET, RULES, "SMP Contoh", timeout=2.0)
    wa.menus = standard_registry().menus("id")
    await wa.start()
    await wa.stop()
    names = [c["command_name"] for c in fakewa.commands]
    assert names == ["start", "menu", "janji", "angket", "help", "bahasa", "selesai", "stop",
                     "hapus"]
    assert fakewa.commands[0]["command_description"] == "Mulai cerita"




def test_whatsapp_id_hashes_follow_the_root_key_so_a_rotated_secret_keeps_people(
        fakewa: FakeWhatsApp) -> None:
    settings = WhatsAppSettings(fakewa.token, fakewa.phone_number_id, fakewa.app_secret,
                                fakewa.verify_token, fakewa.base_url)
    before = WhatsAppChannel(settings, SECRET, RULES, "SMP Contoh")  # the secret's own key
    legacy = IdentityVault(SECRET)
    legacy.use_legacy_root()  # a database made before envelope keys
    kept = WhatsAppChannel(settings, SECRET, RULES, "SMP Contoh")
    kept.bind(None, legacy)  # type: ignore[arg-type]
    assert kept.ref_of("wamid.X1") == before.ref_of("wamid.X1")
    rotated = IdentityVault(b"another-secret-Zq8fW2nLx7Rk4tPb9Hc3")
    rotated.unlock(legacy.wrap_root(b"another-secret-Zq8fW2nLx7Rk4tPb9Hc3"))
    after = WhatsAppChannel(settings, b"another-secret-Zq8fW2nLx7Rk4tPb9Hc3", RULES, "SMP")
    after.bind(None, rotated)  # type: ignore[arg-type]
    assert after._id_hashes(USER, "") == before._id_hashes(USER, "")
