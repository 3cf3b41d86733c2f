"""The crisis path end to end through the real dispatcher, store, outbox and timers."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.app import App
from bot.core.events import Kind
from bot.store import audit
from tests.conftest import SECRET, enrol
from tests.core.test_global_commands import PATHS, PLACES
from tests.dialog import Dialog, RecordingChannel, case_of, to

CRISIS = "aku pengen mati aja, udah ga kuat"


async def team(app: App) -> None:
    await enrol(app, "bk1", "counselor", "Bu Rina")
    await enrol(app, "bk2", "counselor", "Pak Dedi")
    await enrol(app, "wakasek", "backup", "Bu Wakasek")
    await enrol(app, "peer", "peer", "Bintang")
    async with app.store.transaction() as db:  # Pak Dedi is off duty today
        key = app.vault.user_key("test", "bk2")
        await db.execute("UPDATE users SET duty = 'off' WHERE key = ?", (key.value,))


@pytest.fixture
async def crisis_dialog(dialog: Dialog) -> Dialog:
    await team(dialog.app)
    return dialog


@pytest.mark.parametrize("place", PLACES)
async def test_crisis_interrupts_every_state(crisis_dialog: Dialog, place: str) -> None:
    dialog = crisis_dialog
    await dialog.play([("student", "halo"), *[("student", s) for s in PATHS[place]]])
    sent = await dialog.say("student", CRISIS)
    reply = to(sent, "student")
    assert len(reply) == 1 and "kamu nggak sendirian" in reply[0]
    assert "SEJIWA: 119 ext 8" in reply[0] and "tarik napas" in reply[0]
    assert "rahasia" not in reply[0]  # never promise secrecy
    alert = to(sent, "bk1")
    assert len(alert) == 1 and "pengen mati aja" in alert[0] and "pikiran atau niat bunuh diri" \
        in alert[0]
    assert to(sent, "bk2") == [] and to(sent, "peer") == []  # level 1: on-duty counselors only
    case = await case_of(dialog.app)
    assert case.level == "crisis" and case.route == "counselor" and case.status == "waiting"


async def test_ladder_climbs_and_repeats_the_last_level(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    assert await dialog.tick(minutes=4) == []
    sent = await dialog.tick(minutes=1)  # 5 min: all counselors
    assert "Kalau kamu dalam bahaya sekarang" in to(sent, "student")[0]  # not left wondering
    sent = [m for m in sent if m.address != "student"]
    assert sorted(m.address for m in sent) == ["bk1", "bk2"]
    assert "Pengingat ke-2" in sent[0].text and "sudah menunggu 5 menit" in sent[0].text
    sent = [m for m in await dialog.tick(minutes=10) if m.address != "student"]  # 15: backup
    assert [m.address for m in sent] == ["wakasek"] and "menunggu 15 menit" in sent[0].text
    sent = [m for m in await dialog.tick(minutes=10) if m.address != "student"]  # 25 min:
    assert sorted(m.address for m in sent) == ["bk1", "bk2", "wakasek"]  # past the last level
    assert "Pengingat ke-4" in sent[0].text  # it repeats to everybody who can take a crisis
    sent = await dialog.tick(minutes=10)  # again until somebody answers; the student heard
    assert sorted(m.address for m in sent) == ["bk1", "bk2", "wakasek"]  # from us 3 times


async def test_ladder_reminders_show_the_students_newest_and_riskiest_words(
        crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    await dialog.tick(minutes=2)
    await dialog.say("student", "udh minum 2 butir")
    await dialog.say("student", "darahnya ga berhenti2")
    [reminder] = [m.text for m in await dialog.tick(minutes=3) if m.address == "bk1"]  # step 2
    assert "Pengingat ke-2" in reminder and "pengen mati aja" in reminder
    assert "udh minum 2 butir" in reminder and "darahnya ga berhenti2" in reminder  # not only
    assert reminder.index("darahnya") > reminder.index("udh minum")  # the first; newest last
    assert "Kucing" in reminder and "Bapak/Ibu" in reminder  # the alias, no identity
    await dialog.say("student", "aku mau bunuh diri sekarang juga")
    for line in ("oke", "hmm", "aku sendirian di kamar", "hpku lowbat"):
        await dialog.say("student", line)
    [reminder] = [m.text for m in await dialog.tick(minutes=10) if m.address == "wakasek"]
    assert "aku sendirian di kamar" in reminder and "hpku lowbat" in reminder  # the newest
    assert "bunuh diri sekarang juga" in reminder  # and the riskiest, though older
    assert "udh minum 2 butir" not in reminder  # not everything: a reminder stays short


async def test_first_press_takes_the_case_and_stops_the_ladder(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    await dialog.tick(minutes=5)
    sent = await dialog.press("bk2", "Saya tangani")
    assert "Bapak/Ibu sekarang menangani" in to(sent, "bk2")[0]
    assert "pengen mati aja" in to(sent, "bk2")[0]  # the student's words so far
    assert "Guru BK sekarang menemanimu" in to(sent, "student")[0]
    assert to(sent, "bk1") == ["#" + (await case_of(dialog.app)).code
                               + " sudah ditangani oleh Pak Dedi. Terima kasih sudah siaga."]
    assert "Pak Dedi" in to(sent, "wakasek")[0]
    assert await dialog.tick(hours=2) == []  # the ladder stopped


async def test_two_counselors_pressing_at_once_get_one_owner(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    await dialog.tick(minutes=5)
    app = dialog.app
    data = dialog.button_data("bk1", "Saya tangani")
    before = len(dialog.channel.sent)
    await asyncio.gather(
        app.dispatcher.accept(dialog.event("bk1", Kind.BUTTON, "Saya tangani", data)),
        app.dispatcher.accept(dialog.event("bk2", Kind.BUTTON, "Saya tangani", data)))
    await app.settle()
    sent = dialog.channel.sent[before:]
    winners = [m.address for m in sent if "Bapak/Ibu sekarang menangani" in m.text]
    losers = [m.address for m in sent if m.text.endswith(("oleh Bu Rina.", "oleh Pak Dedi."))]
    assert len(winners) == 1 and len(losers) == 1 and winners != losers
    case = await case_of(app)
    assert case.status == "active" and case.assignee == app.vault.user_key("test", winners[0])
    async with app.store.transaction() as db:
        assert len(await audit.rows(db, "case_claimed")) == 1
        assert len(await audit.rows(db, "claim_refused")) == 1


async def test_pressing_twice_is_harmless(crisis_dialog: Dialog) -> None:
    await crisis_dialog.say("student", CRISIS)
    await crisis_dialog.press("bk1", "Saya tangani")
    sent = await crisis_dialog.press("bk1", "Saya tangani")
    code = (await case_of(crisis_dialog.app)).code
    assert to(sent, "bk1") == [f"#{code} sudah Bapak/Ibu tangani."]


@pytest.mark.parametrize("who", ["student", "peer", "stranger"])
async def test_forged_take_button_is_refused_and_audited(crisis_dialog: Dialog, who: str) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    data = dialog.button_data("bk1", "Saya tangani")
    sent = await dialog.deliver(dialog.event(who, Kind.BUTTON, "Saya tangani", data))
    assert to(sent, "student" if who == "student" else who)
    assert (await case_of(dialog.app)).status == "waiting"
    assert "Bapak/Ibu sekarang menangani" not in " ".join(m.text for m in sent)
    async with dialog.app.store.transaction() as db:
        refused = await audit.rows(db, "claim_refused") + await audit.rows(db, "button_refused")
    assert refused


async def test_restart_mid_ladder_resumes_it(config, clock) -> None:
    channel = RecordingChannel()
    first = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    await team(first)
    await Dialog(first, channel).say("student", CRISIS)
    await first.stop()  # the bot goes down with the ladder running

    second = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    try:
        before = len(channel.sent)
        clock.advance(minutes=5)
        await second.settle()
        assert sorted(m.address for m in channel.sent[before:]) == ["bk1", "bk2", "student"]
    finally:
        await second.stop()


async def test_relay_both_ways_as_copies_then_close_with_a_private_note(
        crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    await dialog.press("bk1", "Saya tangani")
    code = (await case_of(dialog.app)).code
    sent = await dialog.say("bk1", "Halo, ibu di sini. Kamu sekarang di mana?")
    assert to(sent, "student") == ["Guru BK: Halo, ibu di sini. Kamu sekarang di mana?"]
    sent = await dialog.say("student", "di kamar bu")
    assert to(sent, "bk1")[0].startswith(f"#{code} ") and to(sent, "bk1")[0].endswith(
        ": di kamar bu")
    sent = await dialog.say("student", "rasanya pengen nyilet tangan lagi")
    assert to(sent, "bk1")[0].startswith("⚠️") and to(sent, "student") == []
    assert not [m for m in sent if m.address == "bk2"]  # no new ladder for the same crisis
    sent = await dialog.say("bk1", "/selesai")
    assert "catatan hasil" in to(sent, "bk1")[0]
    sent = await dialog.say("bk1", "/selesai siswa aman, orang tua dihubungi, janji temu besok")
    assert "Sesi dengan guru BK sudah selesai" in to(sent, "student")[0]
    assert "orang tua" not in " ".join(to(sent, "student"))  # the note stays with staff
    assert await case_of(dialog.app) is None
    async with dialog.app.store.transaction() as db:
        row = await (await db.execute("SELECT unseal(outcome_note), status FROM cases")).fetchone()
    assert tuple(row) == ("siswa aman, orang tua dihubungi, janji temu besok", "closed")


async def test_more_messages_while_waiting_join_the_case_without_a_second_alarm(
        crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    sent = await dialog.say("student", "aku udah nyiapin tali")
    assert to(sent, "student") == ["Pesanmu sudah kami teruskan ke guru BK. Kamu nggak "
                                   "sendirian; guru BK akan membalas di sini secepatnya."]
    assert to(sent, "bk1") == []
    sent = await dialog.say("student", "pengen mati")
    assert sent == []  # acknowledged once; everything still joins the case
    async with dialog.app.store.transaction() as db:
        count = await (await db.execute("SELECT COUNT(*) FROM case_messages")).fetchone()
    assert count[0] == 3


async def test_crisis_in_a_waiting_peer_case_moves_it_to_guru_bk(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await _go_peer(dialog)
    assert (await case_of(dialog.app)).route == "peer"
    sent = await dialog.say("student", "ayah mukulin aku lagi tadi malam")
    case = await case_of(dialog.app)
    assert (case.route, case.level, case.category) == ("counselor", "crisis", "ABUSE")
    assert "kekerasan fisik" in to(sent, "bk1")[0]


async def _go_peer(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), *[("student", s) for s in PATHS["case_open"]]])


async def test_concern_is_recorded_without_alarming_anyone(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await _go_peer(dialog)
    sent = await dialog.say("student", "aku sering dikatain gendut di kelas")
    assert not [m for m in sent if "Guru BK sudah kami kabari" in m.text]
    assert not [m for m in sent if m.address.startswith("bk")]
    async with dialog.app.store.transaction() as db:
        row = await (await db.execute("SELECT level, risk_rules FROM cases")).fetchone()
    assert row[0] == "concern" and "BULLY.verbal" in row[1]


async def test_concern_before_a_case_is_carried_onto_it(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.play([("student", "aku sedih banget akhir-akhir ini"),
                       *[("student", s) for s in PATHS["case_open"]]])
    async with dialog.app.store.transaction() as db:
        row = await (await db.execute("SELECT level, risk_rules FROM cases")).fetchone()
    assert row[0] == "concern" and "MOOD.sad" in row[1]


async def test_hapus_during_an_open_crisis_keeps_the_way_to_reach_the_student(
        crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    await dialog.say("student", "/hapus")
    await dialog.press("student", "Ya, hapus")
    await dialog.press("bk1", "Saya tangani")
    sent = await dialog.say("bk1", "Ibu di sini ya")
    assert to(sent, "student") == ["Guru BK: Ibu di sini ya"]


async def test_alerts_fall_back_when_nobody_is_on_duty(dialog: Dialog) -> None:
    await enrol(dialog.app, "wakasek", "backup", "Bu Wakasek")  # no counselor enrolled yet
    sent = await dialog.say("student", CRISIS)
    assert len(to(sent, "wakasek")) == 1 and len(to(sent, "student")) == 1


async def test_with_nobody_enrolled_the_student_still_gets_help(dialog: Dialog) -> None:
    sent = await dialog.say("student", CRISIS)
    assert "SEJIWA" in to(sent, "student")[0]
    async with dialog.app.store.transaction() as db:
        assert await audit.rows(db, "undeliverable")


async def test_crisis_messages_jump_the_outbox_queue(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    await dialog.say("student", CRISIS)
    async with dialog.app.store.transaction() as db:
        rows = await (await db.execute(
            "SELECT DISTINCT priority FROM outbox WHERE recipient_key IN (?, ?)",
            (dialog.app.vault.user_key("test", "bk1").value,
             dialog.app.vault.user_key("test", "student").value))).fetchall()
    assert {r[0] for r in rows} == {10}


async def test_staff_messages_carry_no_student_identity(crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    platform_id = "5550001234"
    event = replace(dialog.event(platform_id, Kind.TEXT, CRISIS),
                    meta={"username": "siti_w", "first_name": "Siti"})
    await dialog.deliver(event)
    await dialog.press("bk1", "Saya tangani")
    staff_text = " ".join(m.text for m in dialog.channel.sent if m.address != platform_id)
    for secret in (platform_id, "siti_w", "Siti"):
        assert secret not in staff_text


async def test_crisis_inside_a_peer_chat_moves_to_guru_bk_and_the_peer_is_told_kindly(
        crisis_dialog: Dialog) -> None:
    dialog = crisis_dialog
    app = dialog.app
    await _go_peer(dialog)
    peer = app.vault.user_key("test", "peer")
    async with app.store.transaction() as db:  # the peer has accepted the case (issue 4's flow)
        await db.execute("UPDATE cases SET status = 'active', assignee_key = ?", (peer.value,))
    sent = await dialog.say("student", "aku udah nyilet tangan lagi semalem")
    case = await case_of(app)
    assert (case.route, case.level, case.status, case.assignee) == (
        "counselor", "crisis", "waiting", None)
    [notice] = to(sent, "peer")
    assert "alihkan ke guru BK" in notice and "Jaga dirimu" in notice
    assert "nyilet" not in notice  # the peer is not shown the method
    assert len(to(sent, "bk1")) == 1


async def test_a_taken_alert_loses_its_button_everywhere(dialog) -> None:
    from tests.conftest import enrol

    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await enrol(dialog.app, "bk2", "counselor", "Pak Budi")
    await dialog.say("student", "aku pengen mati aja")
    alerts = [(m.address, str(i)) for i, m in enumerate(dialog.channel.sent)
              if m.buttons and m.buttons[0].data.startswith("k:take:")]
    assert {a for a, _ in alerts} == {"bk", "bk2"}
    await dialog.press("bk2", "Saya tangani")
    assert {(m.address, m.edit_ref) for m in dialog.channel.edits} == set(alerts)
