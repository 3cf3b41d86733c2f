"""Peer handoff with several parties: students, two peers, a counselor (dialog tests)."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.core.events import Kind
from bot.store import audit, cases
from tests.conftest import enrol
from tests.dialog import Dialog, case_of, to

PEER_CASE = ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku lagi berantem sama sahabatku",
             "[Lumayan berat]", "[Nggak, aman]"]


async def team(app: App) -> None:
    await enrol(app, "p1", "peer", "Bintang")
    await enrol(app, "p2", "peer", "Awan")
    await enrol(app, "bk", "counselor", "Bu Rina")


async def open_peer_case(dialog: Dialog, who: str = "student") -> list:
    before = len(dialog.channel.sent)
    await dialog.play([(who, step) for step in PEER_CASE])
    return dialog.channel.sent[before:]


@pytest.fixture
async def d(dialog: Dialog) -> Dialog:
    await team(dialog.app)
    return dialog


async def test_light_case_end_to_end_with_survey(d: Dialog) -> None:
    sent = await open_peer_case(d)
    assert "Ceritamu sudah sampai ke konselor sebaya" in to(sent, "student")[-1]
    assert len(to(sent, "p1")) == 1 and to(sent, "p2") == []  # the fairest peer first
    assert "Topik: Pertemanan · Berat: 2/3" in to(sent, "p1")[0]
    sent = await d.press("p1", "Terima")
    assert "Bintang, konselor sebaya, sekarang menemanimu" in to(sent, "student")[0]
    sent = await d.say("p1", "Hai, aku di sini. Mau cerita?")
    assert to(sent, "student") == ["Bintang (konselor sebaya): Hai, aku di sini. Mau cerita?"]
    sent = await d.say("student", "iya, dia salah paham sama aku")
    assert to(sent, "p1")[0].endswith(": iya, dia salah paham sama aku")
    sent = await d.say("p1", "/selesai")
    assert "Seberapa membantu" in to(sent, "student")[1]
    await d.press("student", "4")
    await d.say("student", "makasih udah dengerin")
    async with d.app.store.transaction() as db:
        row = await (await db.execute("SELECT score, unseal(comment), route, topic FROM surveys"))\
            .fetchone()
    assert tuple(row) == (4, "makasih udah dengerin", "peer", "pertemanan")
    assert await case_of(d.app) is None


async def test_fairness_least_recently_assigned_peer_is_offered_first(d: Dialog) -> None:
    await open_peer_case(d, "s1")
    await d.press("p1", "Terima")
    sent = await open_peer_case(d, "s2")  # Bintang is at capacity now: Awan gets it
    assert to(sent, "p2") and not to(sent, "p1")


async def test_two_peers_racing_to_accept_exactly_one_wins(d: Dialog) -> None:
    await open_peer_case(d)
    await d.tick(minutes=10)  # round 1: offered to everyone on duty
    data = d.button_data("p2", "Terima")
    before = len(d.channel.sent)
    await asyncio.gather(d.app.dispatcher.accept(d.event("p1", Kind.BUTTON, "Terima", data)),
                         d.app.dispatcher.accept(d.event("p2", Kind.BUTTON, "Terima", data)))
    await d.app.settle()
    sent = d.channel.sent[before:]
    winners = [m.address for m in sent if m.text.startswith("Kamu sekarang menemani")]
    assert len(winners) == 1
    loser = "p2" if winners == ["p1"] else "p1"
    assert any("sudah diambil" in t for t in to(sent, loser))
    case = await case_of(d.app)
    assert case.status == "active" and case.assignee == d.app.vault.user_key("test", winners[0])


async def test_offer_timeout_reoffers_to_everyone_then_goes_to_guru_bk(d: Dialog) -> None:
    sent = await open_peer_case(d)
    assert to(sent, "p1") and not to(sent, "p2")
    assert await d.tick(minutes=9) == []
    sent = await d.tick(minutes=1)
    assert to(sent, "p1") and to(sent, "p2")  # round 1: everyone on duty
    sent = await d.tick(minutes=10)
    assert "kami teruskan ke guru BK" in to(sent, "student")[0]
    assert "Belum ada konselor sebaya yang menerima" in to(sent, "bk")[0]
    assert any("sudah diambil" in t for t in to(sent, "p2"))
    sent = await d.press("p1", "Terima")  # too late
    assert "tidak" in to(sent, "p1")[0] or "sudah" in to(sent, "p1")[0]
    sent = await d.press("bk", "Saya tangani")
    assert "Guru BK sekarang menemanimu" in to(sent, "student")[0]


async def test_nobody_on_duty_gets_the_next_shift_and_can_leave_a_message(d: Dialog) -> None:
    d.app.clock.advance(days=6)  # Sunday 08:00 WIB: no shift
    sent = await open_peer_case(d)
    nobody = [t for t in to(sent, "student") if "belum ada konselor sebaya yang bertugas" in t]
    assert nobody and "Senin 07:00" in nobody[0] and "112" in nobody[0]
    assert not to(sent, "p1") and not to(sent, "p2")
    await d.say("student", "aku tunggu ya, intinya aku sedih")
    sent = await d.tick(hours=23)  # Monday 07:00: the shift starts and the offer goes out
    assert to(sent, "p1")


async def test_ganti_finds_another_peer_and_never_reoffers_the_first(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("student", "/ganti")
    assert "carikan konselor sebaya lain" in to(sent, "student")[0]
    assert "meminta teman lain" in to(sent, "p1")[0]
    assert to(sent, "p2") and not [t for t in to(sent, "p1") if "Ada teman" in t]
    sent = await d.tick(minutes=10)  # round 1, everyone on duty, still not Bintang
    assert not [t for t in to(sent, "p1") if "Ada teman" in t]


async def test_inactivity_reminds_then_closes_with_a_survey(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("student", "halo kak")
    sent = await d.tick(minutes=60)
    assert "Masih mau lanjut" in to(sent, "student")[0] and "sepi" in to(sent, "p1")[0]
    sent = await d.tick(hours=4)
    assert "ditutup otomatis" in to(sent, "p1")[0] and "Seberapa membantu" in to(sent,
                                                                                   "student")[0]
    assert await case_of(d.app) is None


async def test_student_selesai_closes_and_asks_for_a_rating(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("student", "/selesai")
    assert "percakapan ditutup" in to(sent, "student")[0]
    assert "Siswa menutup percakapan" in to(sent, "p1")[0]
    assert "Seberapa membantu" in to(sent, "student")[1]


async def test_accept_refusals_expired_foreign_capacity_forged(d: Dialog) -> None:
    await enrol(d.app, "p3", "peer", "Bulan")
    await open_peer_case(d, "s1")
    foreign = d.button_data("p1", "Terima")
    sent = await d.deliver(d.event("p2", Kind.BUTTON, "Terima", foreign))  # not offered to p2
    assert "tidak (lagi) untukmu" in to(sent, "p2")[0]
    await d.press("p1", "Terima")
    sent = await d.press("p1", "Terima")  # double press
    assert "sudah diambil" in to(sent, "p1")[0]
    await open_peer_case(d, "s2")  # offered to Awan (Bintang is busy)
    await d.press("p2", "Terima")
    async with d.app.store.transaction() as db:  # make Bulan busy at capacity by hand
        await db.execute("UPDATE cases SET assignee_key = ? WHERE status = 'active' AND id = ("
                         "SELECT MIN(id) FROM cases)", (d.app.vault.user_key("test", "p3").value,))
    for data in ("o:acc:ZZZZ", "o:acc:", "o:acc:../../"):
        sent = await d.deliver(d.event("p2", Kind.BUTTON, "Terima", data))
        assert "sudah tidak menunggu" in to(sent, "p2")[0]
    async with d.app.store.transaction() as db:
        refused = await audit.rows(db, "offer_refused")
    assert len(refused) == 5


async def test_peer_at_capacity_cannot_accept(d: Dialog) -> None:
    await open_peer_case(d, "s1")
    await d.press("p1", "Terima")
    await open_peer_case(d, "s2")
    await d.tick(minutes=10)  # round 1 goes to everyone available: only Awan is
    async with d.app.store.transaction() as db:  # force an offer to Bintang anyway
        case = await cases.open_for(db, d.app.vault.user_key("test", "s2"))
        await db.execute("INSERT INTO offers (case_id, peer_key, round, created_at) VALUES "
                         "(?, ?, 1, 'x')", (case.id, d.app.vault.user_key("test", "p1").value))
    sent = await d.deliver(d.event("p1", Kind.BUTTON, "Terima", "o:acc:" + case.code))
    assert "maksimal 1" in to(sent, "p1")[0]


async def test_students_cannot_use_staff_commands_or_buttons(d: Dialog) -> None:
    sent = await d.say("student", "/onduty")
    assert "khusus untuk staf" in to(sent, "student")[0]
    await open_peer_case(d, "s1")
    data = d.button_data("p1", "Terima")
    sent = await d.deliver(d.event("student", Kind.BUTTON, "Terima", data))
    assert "tidak berlaku" in to(sent, "student")[0]
    async with d.app.store.transaction() as db:
        assert await audit.rows(db, "staff_command_refused")
        assert await audit.rows(db, "claim_refused")


async def test_flooding_is_slowed_kindly_but_still_screened(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    before = len(d.channel.sent)
    for i in range(30):
        await d.app.dispatcher.accept(d.event("student", Kind.TEXT, f"pesan {i}"))
    await d.app.settle()
    await d.app.dispatcher.accept(d.event("student", Kind.TEXT, "aku pengen mati aja"))
    await d.app.settle()
    sent = d.channel.sent[before:]
    relayed = [t for t in to(sent, "p1") if t.startswith("#")]
    assert len(relayed) == 20  # the rest is kept on the case, not pushed at the peer
    assert to(sent, "student").count(
        "Pelan-pelan ya 🙏 Semua pesanmu tetap tersimpan dan sebentar lagi sampai ke konselor "
        "sebayamu sekaligus. Beri dia waktu untuk membalas ya.") == 1
    assert any("BUTUH GURU BK" in t for t in to(sent, "bk"))  # the risk still got through
    async with d.app.store.transaction() as db:
        count = await (await db.execute("SELECT COUNT(*) FROM case_messages")).fetchone()
    assert count[0] == 31


async def test_peer_escalation_starts_the_ladder_and_checks_in_on_the_peer(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("p1", "/eskalasi")
    assert "Tulis alasannya" in to(sent, "p1")[0]
    sent = await d.say("p1", "/eskalasi dia bilang ayahnya sering mukul")
    assert "diteruskan ke guru BK" in to(sent, "p1")[0]
    alert = to(sent, "bk")[0]  # what it is: the peer's reason, not "the student's words"
    assert "DITERUSKAN KONSELOR SEBAYA" in alert and "Pesan siswa" not in alert
    assert "Alasan dari konselor sebaya: «dia bilang ayahnya sering mukul»" in alert
    assert "guru BK" in to(sent, "student")[0]
    case = await case_of(d.app)
    assert (case.level, case.route, case.status) == ("crisis", "counselor", "waiting")
    sent = await d.press("bk", "Saya tangani")  # the story and the chat so far come with it
    assert "aku lagi berantem sama sahabatku" in to(sent, "bk")[0]
    await d.say("bk", "/selesai sudah ditangani")
    sent = await d.tick(hours=2)
    assert any("Gimana perasaanmu" in t for t in to(sent, "p1"))  # bot/core/wellbeing.py
    assert d.last_to("p1").buttons[0].label == "Baik-baik aja"


async def test_catatan_is_kept_for_supervision_only(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("p1", "/catatan siswa tampak lebih tenang")
    assert to(sent, "p1") == ["Catatan disimpan untuk supervisi."] and not to(sent, "student")
    async with d.app.store.transaction() as db:
        row = await (await db.execute("SELECT unseal(text) FROM staff_notes")).fetchone()
    assert row[0] == "siswa tampak lebih tenang"


async def test_offers_survive_a_restart(config, clock) -> None:
    from tests.conftest import SECRET
    from tests.dialog import RecordingChannel

    channel = RecordingChannel()
    first = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    await team(first)
    await open_peer_case(Dialog(first, channel))
    await first.stop()
    second = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    try:
        before = len(channel.sent)
        clock.advance(minutes=10)
        await second.settle()
        assert sorted({m.address for m in channel.sent[before:]}) == ["p1", "p2"]
    finally:
        await second.stop()


async def test_survey_buttons_of_someone_else_are_refused(d: Dialog) -> None:
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("p1", "/selesai")
    data = d.button_data("student", "5")
    sent = await d.deliver(d.event("other", Kind.BUTTON, "5", data))
    assert "tidak berlaku" in to(sent, "other")[0]
    async with d.app.store.transaction() as db:
        count = await (await db.execute("SELECT COUNT(*) FROM surveys")).fetchone()
    assert count[0] == 0


async def test_queue_moves_as_soon_as_a_peer_is_free_again(d: Dialog) -> None:
    """Regression: a queued student waited for the 10-minute offer round although a peer had
    just closed a case."""
    for student, peer in (("s1", "p1"), ("s2", "p2")):
        await open_peer_case(d, student)
        await d.press(peer, "Terima")
    sent = await open_peer_case(d, "s3")  # both peers busy: s3 is queued
    assert any("antrean" in t or "antri" in t for t in to(sent, "s3")), to(sent, "s3")
    sent = await d.say("s1", "/selesai")  # Bintang is free now, no clock tick needed
    offers = [t for t in to(sent, "p1") if "Ada teman yang ingin cerita" in t]
    assert len(offers) == 1 and (await case_of(d.app, "s3")).code in offers[0]
    sent = await d.press("p1", "Terima")
    assert "Bintang, konselor sebaya, sekarang menemanimu" in to(sent, "s3")[0]


async def test_a_peer_coming_on_duty_is_offered_the_waiting_case(d: Dialog) -> None:
    for student, peer in (("s1", "p1"), ("s2", "p2")):
        await open_peer_case(d, student)
        await d.press(peer, "Terima")
    await open_peer_case(d, "s3")
    await enrol(d.app, "p3", "peer", "Langit")
    await d.say("p3", "/offduty")
    sent = await d.say("p3", "/onduty")
    assert any("Ada teman yang ingin cerita" in t for t in to(sent, "p3"))


async def test_taken_offers_lose_their_buttons(d: Dialog) -> None:
    await open_peer_case(d)
    await d.tick(minutes=10)  # round 1: both peers hold an offer
    offers = {m.address: i for i, m in enumerate(d.channel.sent)
              if m.buttons and m.buttons[0].data.startswith("o:acc:")}
    await d.press("p2", "Terima")
    retracted = {(m.address, m.edit_ref) for m in d.channel.edits}
    assert ("p1", str(offers["p1"])) in retracted and ("p2", str(offers["p2"])) in retracted
