"""End to end through python-telegram-bot's Bot client, polling and sending for real."""

from __future__ import annotations

import asyncio

from bot.channels.telegram import split_text
from bot.core.events import OutboundMessage, SendStatus
from tests.e2e.conftest import Live
from tests.fakebot import Fault

STUDENT, PEER, BK = 1001, 2001, 3001


async def intake_to_peer(live: Live, student: int = STUDENT) -> None:
    fake = live.fake
    fake.say(student, "halo", first_name="Kartika", username="kartika_p")
    await fake.wait_text(student, "Kalau oke, kita mulai ya?")
    for label, expect in (("Oke, lanjut", "Soal apa"), ("Pertemanan", "Ceritain sedikit")):
        fake.press(student, label)
        await fake.wait_text(student, expect)
    fake.say(student, "aku lagi berantem sama sahabatku")
    await fake.wait_text(student, "Seberapa berat")
    fake.press(student, "Lumayan berat")
    await fake.wait_text(student, "apakah saat ini ada bahaya")
    fake.press(student, "Nggak, aman")


async def test_intake_peer_relay_close_survey(live: Live) -> None:
    fake = live.fake
    await live.enrol(PEER, "peer", "Bintang")
    await intake_to_peer(live)
    offer = await fake.wait_text(PEER, "Ada teman yang ingin cerita")
    assert [t for t, _ in offer.buttons] == ["Terima"]
    fake.press(PEER, "Terima")
    await fake.wait_text(STUDENT, "Bintang, konselor sebaya, sekarang menemanimu")
    fake.say(PEER, "Hai, aku dengerin ya")
    await fake.wait_text(STUDENT, "Bintang (konselor sebaya): Hai, aku dengerin ya")
    fake.say(STUDENT, "makasih kak")
    relayed = await fake.wait_text(PEER, "makasih kak")
    for secret in ("Kartika", "kartika_p", str(STUDENT)):  # a copy, never a forward
        assert secret not in relayed.text
    fake.say(PEER, "/selesai")
    survey = await fake.wait_text(STUDENT, "Seberapa membantu")
    assert [t for t, _ in survey.buttons] == ["1", "2", "3", "4", "5"]
    fake.press(STUDENT, "5")
    await fake.wait_text(STUDENT, "Mau menambahkan komentar")
    await fake.wait_for(lambda _: len(fake.answered) >= 6)  # every button press answered


async def test_crisis_alert_take_and_relay(live: Live) -> None:
    fake = live.fake
    await live.enrol(BK, "counselor", "Bu Rina")
    fake.say(STUDENT, "aku udah ga kuat, pengen mati aja")
    await fake.wait_text(STUDENT, "kamu nggak sendirian")
    alert = await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    assert "pengen mati aja" in alert.text and [t for t, _ in alert.buttons] == ["Saya tangani"]
    fake.press(BK, "Saya tangani")
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    fake.say(BK, "Ibu di sini. Kamu aman?")
    await fake.wait_text(STUDENT, "Guru BK: Ibu di sini. Kamu aman?")


async def test_group_chats_are_refused_and_left(live: Live) -> None:
    fake = live.fake
    fake.say(STUDENT, "halo semua", chat_type="group", chat_id=-100123)
    await fake.wait_text(-100123, "hanya bisa dipakai lewat chat pribadi")
    await fake.wait_for(lambda _: -100123 in fake.left)
    assert not fake.to(STUDENT)


async def test_crisis_words_in_a_group_get_the_hotlines_and_a_way_to_a_private_chat(
        live: Live) -> None:
    """A group reply carries the hotlines when the message reads as a crisis, never the
    writer's words (the whole group reads it), and invites a private chat; nothing of the
    message is stored (issue #13, an outside tester: the refusal carried no help)."""
    fake = live.fake
    words = "aku pengen bunuh diri malam ini"
    fake.say(STUDENT, words, chat_type="group", chat_id=-100124)
    reply = await fake.wait_text(-100124, "119 ext 8")
    assert "chat pribadi" in reply.text and "private chat" in reply.text  # id and en
    assert "t.me/SebayaTestBot" in reply.text
    assert words not in reply.text and "pengen" not in reply.text and "malam ini" not in reply.text
    await fake.wait_for(lambda _: -100124 in fake.left)
    async with live.app.store.read() as db:
        rows = await db.execute_fetchall("SELECT COUNT(*) FROM inbox")
    assert rows[0][0] == 0 and not fake.to(STUDENT)
    fake.say(STUDENT, "halo semua, ada yang tau pr mtk?", chat_type="group", chat_id=-100125)
    plain = await fake.wait_text(-100125, "hanya bisa dipakai lewat chat pribadi")
    assert "119" not in plain.text  # no alarm for an ordinary message


async def test_non_text_messages_get_a_friendly_note(live: Live) -> None:
    fake = live.fake
    for kind in ("sticker", "photo", "voice", "document"):
        fake.send_kind(STUDENT, kind)
    await fake.wait_for(lambda _: len(fake.to(STUDENT)) >= 4)
    assert all("pesan teks" in t for t in fake.to(STUDENT))


async def test_edited_channel_membership_and_unknown_updates_do_not_crash(live: Live) -> None:
    fake = live.fake
    await live.enrol(BK, "counselor", "Bu Rina")
    fake.raw({"my_chat_member": {"chat": {"id": STUDENT, "type": "private"},
                                 "from": {"id": STUDENT, "is_bot": False, "first_name": "S"},
                                 "date": 1, "old_chat_member": {"status": "member", "user": {
                                     "id": 777000, "is_bot": True, "first_name": "Sebaya"}},
                                 "new_chat_member": {"status": "kicked", "until_date": 0,
                                                     "user": {"id": 777000, "is_bot": True,
                                                              "first_name": "Sebaya"}}}})
    fake.raw({"channel_post": {"message_id": 5, "date": 1, "text": "halo",
                               "chat": {"id": -1009, "type": "channel", "title": "x"}}})
    fake.raw({"poll": {"id": "p", "question": "q", "options": [], "total_voter_count": 0,
                       "is_closed": False, "is_anonymous": True, "type": "regular",
                       "allows_multiple_answers": False}})
    fake.raw({"edited_message": {"message_id": 9, "date": 1, "edit_date": 2, "text":
                                 "sebenernya aku pengen mati", "chat": {"id": STUDENT,
                                                                       "type": "private"},
                                 "from": {"id": STUDENT, "is_bot": False, "first_name": "S"}}})
    await fake.wait_text(BK, "BUTUH GURU BK")  # an edit is screened like any text
    await fake.wait_for(lambda _: -1009 in fake.left)
    fake.say(STUDENT, "/help")
    await fake.wait_text(STUDENT, "/hapus")  # still alive


async def test_stale_foreign_and_forged_callback_data(live: Live) -> None:
    fake = live.fake
    fake.say(STUDENT, "halo")
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    for data in ("k:take:AAAA", "o:acc:ZZZZ", "s:1:5", "f:nowhere:x", "x" * 64, ""):
        fake.press(STUDENT, "?", data=data)
    await fake.wait_for(lambda _: sum("tidak berlaku" in t for t in fake.to(STUDENT)) >= 5)
    await fake.wait_for(lambda _: len(fake.answered) >= 6)


async def test_429_storm_keeps_order_per_chat_and_loses_nothing(live: Live) -> None:
    fake = live.fake
    fake.faults["sendMessage"] = [Fault("429", retry_after=1) for _ in range(3)]
    for n in range(5):
        fake.say(STUDENT, "/help" if n % 2 else "/bahasa")
    await fake.wait_for(lambda _: len(fake.to(STUDENT)) >= 5, timeout=20)
    texts = fake.to(STUDENT)
    assert ["/hapus" in t for t in texts[:5]] == [False, True, False, True, False]


async def test_a_timed_out_send_that_was_delivered_is_counted(live: Live) -> None:
    fake = live.fake
    await live.enrol(BK, "counselor", "Bu Rina")
    fake.faults["sendMessage"] = [Fault("timeout_after_delivery", delay=1.6)]
    fake.say(STUDENT, "aku pengen bunuh diri")
    await fake.wait_text(BK, "BUTUH GURU BK", timeout=15)
    await fake.wait_for(lambda _: len(fake.to(STUDENT)) >= 2, timeout=15)
    replies = [t for t in fake.to(STUDENT) if "kamu nggak sendirian" in t]
    alerts = [t for t in fake.to(BK) if "BUTUH GURU BK" in t]
    # The first send (the crisis reply, highest priority, oldest) timed out after delivery and
    # was retried: the student sees it twice (counted), the alert exactly once.
    assert len(replies) == 2 and len(alerts) == 1


async def test_long_messages_are_split_at_the_limit(live: Live) -> None:
    text = ("kalimat panjang " * 400).strip()
    result = await live.channel.send(OutboundMessage("telegram", str(STUDENT), text))
    assert result.status is SendStatus.OK
    parts = live.fake.to(STUDENT)
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == text.split()
    assert split_text("a" * 9000) == ["a" * 4096, "a" * 4096, "a" * 808]


async def test_blocked_user_is_dead_lettered(live: Live) -> None:
    live.fake.blocked.add(STUDENT)
    result = await live.channel.send(OutboundMessage("telegram", str(STUDENT), "halo"))
    assert result.status is SendStatus.PERMANENT and "blocked" in result.detail


async def test_commands_are_registered_in_both_languages(live: Live) -> None:
    langs = {c.get("language_code") for c in live.fake.commands}
    assert langs == {None, "en"}
    await asyncio.sleep(0)


async def test_laporan_sends_a_real_chart_image_through_send_photo(live: Live) -> None:
    fake = live.fake
    await live.enrol(BK, "counselor", "Bu Rina")
    fake.say(BK, "/laporan")
    await fake.wait_text(BK, "Laporan Sebaya")
    photo = await fake.wait_for(lambda sent: any(s.photo for s in sent), timeout=20)
    [image] = [s for s in photo if s.chat_id == BK and s.photo]
    assert image.photo.startswith(b"\x89PNG") and len(image.photo) > 2000
    assert image.text == "Kasus per minggu, menurut jalur"  # the caption


async def test_the_other_counselors_alert_loses_its_button_once_taken(live: Live) -> None:
    fake = live.fake
    await live.enrol(BK, "counselor", "Bu Rina")
    await live.enrol(BK + 1, "counselor", "Pak Budi")
    fake.say(STUDENT, "aku udah ga kuat, pengen mati aja")
    await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    other = await fake.wait_text(BK + 1, "BUTUH GURU BK SEKARANG")
    fake.press(BK, "Saya tangani")
    await fake.wait_text(BK + 1, "sudah ditangani oleh")
    await fake.wait_for(lambda _: len(fake.edits) >= 2)
    assert other.buttons == []  # edited away: a stale "Saya tangani" cannot be pressed
    assert {int(e["chat_id"]) for e in fake.edits} == {BK, BK + 1}
