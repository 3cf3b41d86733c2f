"""End to end on WhatsApp: the real App, the webhook on loopback, the Graph API fake
(tests/fakewa.py), with Telegram running beside it in the same deployment."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.store.invariants import violations
from tests.e2e.conftest import WaLive

STUDENT, PEER, BK = "6281234500001", "6281234500002", "6281234500003"
TG_BK = 3001


async def assert_invariants(live: WaLive) -> None:
    async with live.app.store.read() as db:
        broken = await violations(db)
    assert not broken, "; ".join(map(str, broken))


async def intake_to_peer(live: WaLive, student: str = STUDENT) -> None:
    fake = live.fake
    fake.say(student, "halo", name="Kartika Putri")
    await fake.wait_text(student, "Oke untuk lanjut?")
    for label, expect in (("Oke, lanjut", "Soal apa"), ("Pertemanan", "Ceritain sedikit")):
        fake.press(student, label)
        await fake.wait_text(student, expect)
    fake.say(student, "aku lagi berantem sama sahabatku")
    await fake.wait_text(student, "Seberapa berat")
    fake.press(student, "Lumayan berat")
    await fake.wait_text(student, "apakah kamu merasa tidak aman")
    fake.press(student, "Tidak, aku aman")


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
    await fake.wait_text(STUDENT, "Oke untuk lanjut?")
    await fake.settled()
    rows = await walive.rows("SELECT delivery FROM outbox WHERE channel = 'whatsapp'")
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
    await fake.wait_text(STUDENT, "Oke untuk lanjut?")
    await asyncio.sleep(0.3)
    rows = await walive.rows("SELECT COUNT(*) FROM inbox WHERE channel = 'whatsapp'")
    assert rows[0][0] == 1
    assert sum("Oke untuk lanjut?" in t for t in fake.to(STUDENT)) == 1
