"""End to end on WhatsApp: the real App, the webhook on loopback, the Graph API fake
(tests/fakewa.py), with Telegram running beside it in the same deployment."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.channels.whatsapp import WEBHOOK_PATH
from bot.core.keys import UserKey
from bot.store import outbox, users
from bot.store.invariants import violations
from tests.e2e.conftest import WaLive, serve
from tests.fakewa import FakeWhatsApp, Fault

STUDENT, PEER, BK = "6281234500001", "6281234500002", "6281234500003"
TG_BK = 3001


async def assert_invariants(live: WaLive) -> None:
    async with live.app.store.read() as db:
        broken = await violations(db)
    assert not broken, "; ".join(map(str, broken))


async def intake_to_peer(live: WaLive, student: str = STUDENT) -> None:
    fake = live.fake
    fake.say(student, "halo", name="Kartika Putri")
    await fake.wait_text(student, "Kalau oke, kita mulai ya?")
    for label, expect in (("Oke, lanjut", "Soal apa"), ("Pertemanan", "Ceritain sedikit")):
        fake.press(student, label)
        await fake.wait_text(student, expect)
    fake.say(student, "aku lagi berantem sama sahabatku")
    await fake.wait_text(student, "Seberapa berat")
    fake.press(student, "Lumayan berat")
    await fake.wait_text(student, "apakah saat ini ada bahaya")
    fake.press(student, "Nggak, aman")


async def test_verification_challenge(walive: WaLive) -> None:
    async with aiohttp.ClientSession() as session:
        ok = {"hub.mode": "subscribe", "hub.verify_token": walive.fake.verify_token,
              "hub.challenge": "1158201444"}
        async with session.get(walive.url, params=ok) as response:
            assert response.status == 200 and await response.text() == "1158201444"
        async with session.get(walive.url, params={**ok, "hub.verify_token": "nope"}) as r:
            assert r.status == 403


async def test_intake_peer_relay_close_survey(walive: WaLive) -> None:
    fake = walive.fake
    await walive.join(PEER, "peer", "Bintang")
    await intake_to_peer(walive)
    offer = await fake.wait_text(PEER, "Ada teman yang ingin cerita")
    assert offer.kind == "buttons" and [t for t, _ in offer.buttons] == ["Terima"]
    fake.press(PEER, "Terima")
    await fake.wait_text(STUDENT, "Bintang, konselor sebaya, sekarang menemanimu")
    fake.say(PEER, "Hai, aku dengerin ya")
    await fake.wait_text(STUDENT, "Bintang (konselor sebaya): Hai, aku dengerin ya")
    fake.say(STUDENT, "makasih kak")
    relayed = await fake.wait_text(PEER, "makasih kak")
    for secret in ("Kartika", STUDENT):  # a copy, never a forward
        assert secret not in relayed.text
    fake.say(PEER, "/selesai")
    survey = await fake.wait_text(STUDENT, "Seberapa membantu")
    assert survey.kind == "list" and [t for t, _ in survey.buttons] == ["1", "2", "3", "4", "5"]
    fake.press(STUDENT, "5")
    await fake.wait_text(STUDENT, "Mau menambahkan komentar")
    await assert_invariants(walive)
    assert not fake.refused  # every payload passed Meta's checks


async def test_crisis_on_whatsapp_alerts_a_counselor_on_telegram(walive: WaLive) -> None:
    fake, bot = walive.fake, walive.bot
    await walive.enrol_telegram(TG_BK, "counselor", "Bu Rina")
    fake.say(STUDENT, "aku udah ga kuat, pengen mati aja")
    await fake.wait_text(STUDENT, "kamu nggak sendirian")
    alert = await bot.wait_text(TG_BK, "BUTUH GURU BK SEKARANG")
    assert "pengen mati aja" in alert.text and STUDENT not in alert.text
    bot.press(TG_BK, "Saya tangani")
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    bot.say(TG_BK, "Ibu di sini. Kamu aman?")
    await fake.wait_text(STUDENT, "Guru BK: Ibu di sini. Kamu aman?")
    fake.say(STUDENT, "iya bu, aku di kamar")
    await bot.wait_text(TG_BK, "iya bu, aku di kamar")
    await assert_invariants(walive)


async def test_statuses_are_recorded_monotonically(walive: WaLive) -> None:
    fake = walive.fake
    fake.status_shuffle = True  # read before delivered before sent, and so on
    fake.say(STUDENT, "halo")
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    await fake.settled()
    # a status that overtook its send's bookkeeping is looked at again a moment later
    for _ in range(200):
        rows = await walive.rows("SELECT delivery FROM outbox WHERE channel = 'whatsapp'")
        if rows and {r[0] for r in rows} == {"read"}:
            break
        await asyncio.sleep(0.05)
    assert rows and {r[0] for r in rows} == {"read"}
    payloads = await walive.rows("SELECT length(payload) FROM outbox WHERE channel='whatsapp'")
    assert {p[0] for p in payloads} == {0}  # wiped once delivered


async def test_same_delivery_five_times_and_two_at_once_is_handled_once(walive: WaLive) -> None:
    fake = walive.fake
    _, body = fake.message(STUDENT, "text", {"body": "halo"})
    fake.last_inbound[STUDENT] = fake.clock()
    answers = await asyncio.gather(*(fake.post(body) for _ in range(2)))
    answers += [await fake.post(body) for _ in range(5)]
    assert answers == [200] * 7
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    await asyncio.sleep(0.3)
    rows = await walive.rows("SELECT COUNT(*) FROM inbox WHERE channel = 'whatsapp'")
    assert rows[0][0] == 1
    assert sum("Kalau oke, kita mulai ya?" in t for t in fake.to(STUDENT)) == 1


async def _count(live: WaLive, sql: str) -> int:
    return (await live.rows(sql))[0][0]


async def test_bad_and_missing_signatures_are_refused_with_nothing_stored(walive: WaLive) -> None:
    fake = walive.fake
    _, body = fake.message(STUDENT, "text", {"body": "aku pengen mati aja"})
    raw = json.dumps(body).encode()
    assert await fake.post(raw, signature="") == 401  # missing
    assert await fake.post(raw, signature="sha256=" + "0" * 64) == 401  # wrong
    assert await fake.post(raw, signature="sha1=" + "0" * 40) == 401  # another scheme
    assert await fake.post(raw.replace(b"mati", b"main"), signature=fake.sign(raw)) == 401
    other = FakeWhatsApp(app_secret="somebody-elses-secret")
    assert await fake.post(raw, signature=other.sign(raw)) == 401  # another app's secret
    await asyncio.sleep(0.2)
    for table in ("inbox", "users", "outbox", "cases", "wa_identities"):
        assert await _count(walive, f"SELECT COUNT(*) FROM {table}") == 0, table
    reasons = await walive.rows("SELECT detail FROM audit WHERE action = "
                                "'whatsapp_bad_signature'")
    assert {json.loads(r[0])["reason"] for r in reasons} == {"missing", "wrong"}
    assert fake.to(STUDENT) == []


async def test_an_unknown_business_number_is_ignored_and_audited(walive: WaLive) -> None:
    fake = walive.fake
    _, body = fake.message(STUDENT, "text", {"body": "halo"})
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999"
    assert await fake.post(body) == 200  # acknowledged, or Meta would repeat it for days
    await asyncio.sleep(0.2)
    assert await _count(walive, "SELECT COUNT(*) FROM inbox") == 0
    assert await _count(walive, "SELECT COUNT(*) FROM audit WHERE action = "
                                "'whatsapp_unknown_number'") == 1
    assert fake.to(STUDENT) == []


async def test_bodies_too_big_too_deep_or_not_json_are_refused(walive: WaLive) -> None:
    fake = walive.fake
    for raw in (b"[" * 100000 + b"]" * 100000, b"{not json",
                b'{"pad": "' + b"a" * 3_500_000 + b'"}'):
        assert await fake.post(raw) in (400, 413)
    assert await _count(walive, "SELECT COUNT(*) FROM inbox") == 0


async def test_media_get_the_text_only_reply_and_a_caption_is_screened(walive: WaLive) -> None:
    fake, bot = walive.fake, walive.bot
    await walive.enrol_telegram(TG_BK, "counselor", "Bu Rina")
    kinds = ("image", "video", "document", "audio", "sticker", "location", "contacts",
             "reaction")
    for kind in kinds:
        fake.media_message(STUDENT, kind)
        await fake.wait_count(STUDENT, kinds.index(kind) + 1)
    assert all("pesan teks" in t for t in fake.to(STUDENT))
    fake.media_message(STUDENT, "image", caption="aku pengen mati aja")
    await bot.wait_text(TG_BK, "BUTUH GURU BK SEKARANG")  # the caption is the student's words


async def test_group_messages_are_ignored(walive: WaLive) -> None:
    fake = walive.fake
    fake.group_message(STUDENT, "halo semua, aku pengen mati")
    await fake.settled()
    await asyncio.sleep(0.2)
    assert fake.to(STUDENT) == []
    assert await _count(walive, "SELECT COUNT(*) FROM inbox") == 0


async def test_forged_and_stale_button_ids_are_refused(walive: WaLive) -> None:
    fake = walive.fake
    fake.say(STUDENT, "halo")
    prompt = await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    for data in ("k:take:AAAA", "o:acc:ZZZZ", "s:1:5", "f:nowhere:x", "x" * 200, "g:nope"):
        fake.tap(STUDENT, prompt, "?", data)
    await fake.wait_for(lambda _: sum("tidak berlaku" in t for t in fake.to(STUDENT)) >= 5)
    refused = await walive.rows("SELECT COUNT(*) FROM audit WHERE action = 'claim_refused'")
    assert refused[0][0] == 2  # the staff-only ones are audited


async def test_an_alert_to_a_counselor_whose_window_closed_goes_as_a_template(
        walive: WaLive) -> None:
    fake = walive.fake
    await walive.join(BK, "counselor", "Bu Rina")
    fake.age_window(BK, hours=25)  # the counselor last wrote yesterday
    await walive.write(  # (the bot's record agrees)
        "UPDATE reply_windows SET last_inbound_at = '2026-11-22T00:00:00.000000Z'")
    before = fake.count(BK)
    fake.say(STUDENT, "aku udah ga kuat, pengen mati aja")
    await fake.wait_text(STUDENT, "kamu nggak sendirian")
    alert = await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    assert alert.kind == "template" and alert.template == "sebaya_alert"
    assert "pengen mati" not in alert.text  # a template carries the headline, not the words
    [(label, data)] = alert.buttons
    assert label == "Tanggapi" and data.startswith("k:take:")
    assert all(s.kind == "template" for s in fake.sent_to(BK)[before:])
    fake.press(BK, "Tanggapi")  # the quick reply takes the case
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    await fake.wait_text(BK, "pengen mati")  # now inside the window: the student's words
    fake.say(BK, "Ibu di sini ya")
    await fake.wait_text(STUDENT, "Guru BK: Ibu di sini ya")
    await assert_invariants(walive)
    assert not fake.refused


async def test_an_alert_no_template_can_carry_climbs_the_ladder_at_once(walive: WaLive) -> None:
    fake, bot = walive.fake, walive.bot
    await walive.join(BK, "counselor", "Bu Rina")
    await walive.enrol_telegram(TG_BK, "backup", "Pak Wakasek")
    fake.age_window(BK, hours=25)
    await walive.write(
        "UPDATE reply_windows SET last_inbound_at = '2026-11-22T00:00:00.000000Z'")
    walive.channel.templates.clear()  # nothing approved yet
    fake.say(STUDENT, "aku pengen bunuh diri malam ini")
    await fake.wait_text(STUDENT, "kamu nggak sendirian")
    # The first level (the WhatsApp counselor) cannot be reached: the next one at once,
    # not after the level's 5 minutes.
    await bot.wait_text(TG_BK, "BUTUH GURU BK SEKARANG", timeout=10)
    dead = await walive.rows("SELECT last_error FROM outbox WHERE status = 'dead'")
    assert any("no alert template" in r[0] for r in dead)
    await assert_invariants(walive)


async def test_a_failed_status_of_an_alert_climbs_the_ladder_at_once(walive: WaLive) -> None:
    fake, bot = walive.fake, walive.bot
    await walive.join(BK, "counselor", "Bu Rina")
    await walive.enrol_telegram(TG_BK, "backup", "Pak Wakasek")
    fake.fail_status[BK] = 131026  # accepted, then "message undeliverable"
    fake.say(STUDENT, "aku pengen bunuh diri malam ini")
    await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    await bot.wait_text(TG_BK, "BUTUH GURU BK SEKARANG", timeout=10)
    rows = await walive.rows("SELECT status, delivery, delivery_error FROM outbox "
                             "WHERE channel = 'whatsapp' AND status = 'dead'")
    assert rows and rows[0][1:] == ("failed", "131026")


async def test_a_131047_status_closes_the_window_and_the_alert_goes_as_a_template(
        walive: WaLive) -> None:
    fake = walive.fake
    await walive.join(BK, "counselor", "Bu Rina")
    fake.age_window(BK, hours=25)  # Meta's view; the bot still thinks the window is open
    fake.say(STUDENT, "aku pengen bunuh diri malam ini")
    await fake.wait_for(lambda _: any(s.kind == "template" for s in fake.sent_to(BK)))
    kinds = [s.kind for s in fake.sent_to(BK) if "BUTUH GURU BK" in s.text]
    assert kinds == ["buttons", "template"]  # free-form failed with 131047, then a template
    closed = await walive.rows("SELECT closed_at FROM reply_windows WHERE closed_at IS NOT NULL")
    assert len(closed) == 1


async def test_a_message_waits_for_a_closed_window_and_goes_when_they_write(
        walive: WaLive) -> None:
    fake = walive.fake
    fake.say(STUDENT, "halo")
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    fake.age_window(STUDENT, hours=25)
    await walive.write(
        "UPDATE reply_windows SET last_inbound_at = '2026-11-22T00:00:00.000000Z'")
    key = (await walive.rows("SELECT key FROM users"))[0][0]
    async with walive.app.store.transaction() as db:  # e.g. a late reply to the student
        user = await users.get(db, UserKey(key))
        await outbox.enqueue(db, "whatsapp", key, user.address, "pesan yang menunggu", (), 0,
                             walive.app.clock.now(), walive.app.vault.seal)
    walive.app.sender.wake.set()
    await asyncio.sleep(0.5)
    assert "pesan yang menunggu" not in fake.to(STUDENT)
    assert await _count(walive, "SELECT COUNT(*) FROM outbox WHERE last_error = 'held'") == 1
    fake.say(STUDENT, "/help")
    await fake.wait_text(STUDENT, "pesan yang menunggu")
    texts = fake.to(STUDENT)
    assert texts.index(next(t for t in texts if "pesan yang menunggu" in t)) < len(texts)
    assert not fake.refused


async def test_a_pair_rate_limit_slows_that_person_only(walive: WaLive) -> None:
    fake = walive.fake
    walive.channel.pair_rate_pause = 1.0
    fake.faults = [Fault("131056")]
    other = "6281234500099"
    fake.say(STUDENT, "halo")
    await asyncio.sleep(0.2)
    fake.say(other, "halo")
    await fake.wait_text(other, "Kalau oke, kita mulai ya?")
    assert not any("Kalau oke, kita mulai ya?" in t for t in fake.to(STUDENT))  # still waiting
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?", timeout=5)
    attempts = await walive.rows("SELECT MAX(attempts) FROM outbox")
    assert attempts[0][0] == 1  # the pause was not counted as an attempt


async def test_a_bsuid_only_message_keeps_the_same_student(walive: WaLive) -> None:
    fake = walive.fake
    fake.bsuid[STUDENT] = "ID.1349120865530274"
    fake.say(STUDENT, "halo")
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    fake.hide_phone.add(STUDENT)  # adopted a username: webhooks carry only the BSUID now
    fake.press(STUDENT, "Oke, lanjut")
    await fake.wait_text(STUDENT, "Soal apa")
    assert await _count(walive, "SELECT COUNT(*) FROM users") == 1
    assert await _count(walive, "SELECT COUNT(*) FROM wa_identities") == 2


async def test_a_bsuid_only_student_is_answered_through_recipient(walive: WaLive) -> None:
    fake = walive.fake
    fake.bsuid[STUDENT] = "ID.9988776655"
    fake.hide_phone.add(STUDENT)
    fake.say(STUDENT, "halo")
    prompt = await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    assert prompt.via == "recipient"


@pytest.mark.sqlite_only
async def test_no_phone_number_name_or_message_id_is_stored_or_logged(walive: WaLive,
                                                                      caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    fake, bot = walive.fake, walive.bot
    await walive.enrol_telegram(TG_BK, "counselor", "Bu Rina")
    fake.bsuid[STUDENT] = "ID.5566778899"
    wamids = [fake.say(STUDENT, "halo", name="Kartika Prameswari")]
    await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    wamids.append(fake.say(STUDENT, "aku pengen mati aja", name="Kartika Prameswari"))
    alert = await bot.wait_text(TG_BK, "BUTUH GURU BK SEKARANG")
    bot.press(TG_BK, "Saya tangani")
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    await fake.settled()
    raw = b"".join(p.read_bytes() for p in walive.app.config.database_path.parent.glob(
        walive.app.config.database_path.name + "*") if not p.name.endswith(".secret"))
    assert len(raw) > 10_000
    secrets = [STUDENT, "Kartika", "ID.5566778899", *wamids, *(s.wamid for s in fake.sent)]
    for secret in secrets:
        assert secret.encode() not in raw, secret
        assert secret not in alert.text
    logs = " ".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in logs, secret


async def test_staff_answer_a_case_by_replying_to_its_message(walive: WaLive) -> None:
    fake = walive.fake
    await walive.join(BK, "counselor", "Bu Rina")
    other = "6281234500077"
    for alerts, student in enumerate((STUDENT, other), 1):
        fake.say(student, "aku pengen bunuh diri")
        await fake.wait_text(student, "kamu nggak sendirian")
        await fake.wait_for(lambda _, n=alerts: sum("BUTUH GURU BK" in t
                                                    for t in fake.to(BK)) >= n)
        fake.press(BK, "Saya tangani")
        await fake.wait_text(student, "Guru BK sekarang menemanimu")
    fake.say(STUDENT, "bu aku takut")
    relayed = await fake.wait_text(BK, "bu aku takut")
    fake.say(BK, "Ibu dengar, kamu di mana sekarang?", reply_to=relayed)  # WhatsApp's reply
    await fake.wait_text(STUDENT, "Guru BK: Ibu dengar, kamu di mana sekarang?")
    await asyncio.sleep(0.3)
    assert not any("kamu di mana" in t for t in fake.to(other))
    await assert_invariants(walive)


async def test_a_helper_whose_window_closed_is_told_with_a_notice_and_answers_it(
        walive: WaLive) -> None:
    fake = walive.fake
    await walive.join(PEER, "peer", "Bintang")
    await intake_to_peer(walive)
    await fake.wait_text(PEER, "Ada teman yang ingin cerita")
    fake.press(PEER, "Terima")
    await fake.wait_text(STUDENT, "Bintang, konselor sebaya, sekarang menemanimu")
    fake.age_window(PEER, hours=25)  # the peer has not written for a day
    peer_key = (await walive.rows("SELECT key FROM users WHERE role = 'peer'"))[0][0]
    await walive.write(
        "UPDATE reply_windows SET last_inbound_at = '2026-11-22T00:00:00.000000Z' "
        "WHERE user_key = ?", (peer_key,))
    fake.say(STUDENT, "kak masih di sana?")
    notice = await fake.wait_for(lambda _: any(s.template == "sebaya_notice"
                                               for s in fake.sent_to(PEER)))
    [notice] = [s for s in notice if s.to == PEER and s.template == "sebaya_notice"]
    assert "kak masih" not in notice.text  # a notice names the case, not the words
    for _ in range(100):  # (recorded right after the notice went)
        if await _count(walive, "SELECT COUNT(*) FROM outbox WHERE last_error = 'held'"):
            break
        await asyncio.sleep(0.02)
    assert await _count(walive, "SELECT COUNT(*) FROM outbox WHERE last_error = 'held'") == 1
    fake.say(PEER, "Maaf baru lihat, aku di sini", reply_to=notice)
    await fake.wait_text(PEER, "kak masih di sana?")  # what waited, now in the window
    await fake.wait_text(STUDENT, "Bintang (konselor sebaya): Maaf baru lihat, aku di sini")
    await assert_invariants(walive)
    assert not fake.refused


async def test_a_delivery_that_cannot_be_committed_answers_500_and_meta_delivers_again(
        walive: WaLive) -> None:
    fake = walive.fake

    async def broken(events):
        raise RuntimeError("disk full")

    runner, base = await serve(walive.channel.webhook_app(broken,
                                                          walive.app.sender.delivery_reports))
    try:
        good, fake.webhook_url = fake.webhook_url, base + WEBHOOK_PATH
        _, body = fake.message(STUDENT, "text", {"body": "halo"})
        fake.last_inbound[STUDENT] = fake.clock()
        assert await fake.post(body) == 500  # so Meta delivers it again
        fake.webhook_url = good
        assert await fake.post(body) == 200  # ... and the next attempt is handled
        await fake.wait_text(STUDENT, "Kalau oke, kita mulai ya?")
    finally:
        await runner.cleanup()
