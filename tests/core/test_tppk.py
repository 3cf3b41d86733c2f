"""TPPK (bot/core/tppk.py): abuse, sexual violence and serious bullying reach the school's TPPK
members besides guru BK, with the same anonymity and an audit row; the ladder stays guru BK's.
Dialog transcripts in id and en, invariants checked after every step."""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.app import App
from bot.config import load_config
from bot.core.crisis import TAKE_PREFIX
from bot.core.events import Kind
from bot.store import audit, users
from tests.conftest import SECRET, enrol
from tests.core.test_handoff import PEER_CASE
from tests.dialog import Dialog, RecordingChannel, case_of, to

ABUSE = {"id": "ayahku sering mukul aku pakai ikat pinggang sampai memar",
         "en": "my dad hits me with a belt every night"}
EN_START = ["halo", "[English, please]"]


@pytest.fixture
async def d(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "t1", "tppk", "Pak Joko")
    await enrol(dialog.app, "t2", "tppk", "Bu Sari")
    await enrol(dialog.app, "p1", "peer", "Bintang")
    return dialog


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_an_abuse_case_reaches_tppk_and_guru_bk(d: Dialog, lang: str) -> None:
    await d.play([("student", s) for s in (EN_START if lang == "en" else ["halo"])])
    sent = await d.say("student", ABUSE[lang])
    code = (await case_of(d.app)).code
    [alert] = [m for m in sent if m.address == "bk"]
    assert "BUTUH GURU BK" in alert.text and alert.buttons  # guru BK takes it, as always
    for member in ("t1", "t2"):
        [notice] = [m for m in sent if m.address == member]
        assert notice.text.startswith(f"🛡️ UNTUK TPPK · #{code}")
        assert "kekerasan fisik" in notice.text and ABUSE[lang] in notice.text
        assert not notice.buttons  # told, not asked to take the chat
        assert "student" not in notice.text and "test" not in notice.text.split("#")[0]
    assert not [m for m in sent if m.address == "p1"]
    reply = to(sent, "student")[0]
    assert ("you are not alone" if lang == "en" else "kamu nggak sendirian") in reply
    async with d.app.store.read() as db:
        rows = await audit.rows(db, "tppk_notified")
    assert [r["detail"] for r in rows] == [{"code": code, "category": "ABUSE"}]
    sent = await d.tick(minutes=5)  # the ladder climbs for guru BK only
    assert to(sent, "bk") and not to(sent, "t1") and not to(sent, "t2")
    sent = await d.press("bk", "Saya tangani")
    assert to(sent, "student") and not to(sent, "t1")


async def test_a_peer_chat_turning_to_abuse_reaches_tppk_too(d: Dialog) -> None:
    await d.play([("student", s) for s in PEER_CASE])
    await d.press("p1", "Terima")
    sent = await d.say("student", ABUSE["id"])
    assert any("UNTUK TPPK" in t for t in to(sent, "t1"))
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk"))
    assert not any(ABUSE["id"] in t for t in to(sent, "p1"))  # the peer is relieved, not told


async def test_abuse_told_after_a_suicide_alert_reaches_tppk_once(d: Dialog) -> None:
    sent = await d.say("student", "aku pengen mati aja")
    assert not to(sent, "t1")
    sent = await d.say("student", ABUSE["id"])
    [notice] = to(sent, "t1")
    assert "UNTUK TPPK" in notice and ABUSE["id"] in notice
    sent = await d.say("student", "ayahku mukul aku lagi tadi pagi sampai memar")
    assert not to(sent, "t1")  # told once per case
    async with d.app.store.read() as db:
        assert len(await audit.rows(db, "tppk_notified")) == 1


async def test_other_crises_and_light_cases_do_not_reach_tppk(d: Dialog) -> None:
    sent = await d.say("student", "aku pengen mati aja")
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk"))
    assert not to(sent, "t1")
    await d.play([("s2", s) for s in PEER_CASE])
    assert not [m for m in d.channel.sent if m.address == "t1"]


async def test_tppk_cannot_take_the_chat_and_gets_its_own_help(d: Dialog) -> None:
    await d.say("student", ABUSE["id"])
    code = (await case_of(d.app)).code
    sent = await d.deliver(d.event("t1", Kind.BUTTON, "Saya tangani", TAKE_PREFIX + code))
    assert "hanya untuk guru BK" in to(sent, "t1")[0]
    assert (await case_of(d.app)).status == "waiting"
    sent = await d.say("t1", "/help")
    assert "anggota TPPK" in to(sent, "t1")[0]


async def test_a_restarted_ladder_does_not_notify_tppk_again(d: Dialog) -> None:
    await d.say("student", ABUSE["id"])
    await d.press("bk", "Saya tangani")
    async with d.app.store.transaction() as db:
        bk = d.app.vault.user_key("test", "bk")
        from bot.store import cases, timers
        case = await cases.open_for(db, d.app.vault.user_key("test", "student"))
        await cases.requeue(db, case.id, bk, None)
        await timers.start(db, case.student, "requeued", d.app.clock.now(), {"reason": "t"})
    sent = await d.tick(seconds=1)
    assert not to(sent, "t1")


async def test_invite_and_join_as_tppk(dialog: Dialog, config, monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    code = await staffcli.invite(config, "tppk", "Pak Joko", days=7, clock=dialog.app.clock)
    sent = await dialog.say("joko", f"/join {code}")
    assert "anggota TPPK" in to(sent, "joko")[0]
    async with dialog.app.store.read() as db:
        [member] = await users.staff(db)
        assert await audit.rows(db, "staff_enrolled")
    assert (member.role, member.display_name) == ("tppk", "Pak Joko")


async def test_categories_come_from_the_config(project, clock) -> None:
    path = project / "config.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    ABUSE: [tppk]", "    SI: [tppk]"), encoding="utf-8")
    channel = RecordingChannel()
    app = await App.build(load_config(path), {channel.name: channel}, clock=clock,
                          secret=SECRET)
    try:
        d = Dialog(app, channel)
        await enrol(app, "bk", "counselor", "Bu Rina")
        await enrol(app, "t1", "tppk", "Pak Joko")
        sent = await d.say("student", ABUSE["id"])
        assert to(sent, "bk") and not to(sent, "t1")
        sent = await d.say("s2", "aku pengen mati aja")
        assert to(sent, "t1")
    finally:
        await app.stop()


def test_an_unknown_category_is_a_config_error(project) -> None:
    from bot.errors import ConfigError

    path = project / "config.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    ABUSE: [tppk]", "    ABUS: [tppk]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.yaml:"):
        load_config(path)
