"""The holes an attacker found (issue #12), end to end: real App, PTB's Bot client, polling,
against the fake Bot API. After each scenario the safety invariants must hold."""

from __future__ import annotations

import asyncio

from bot import staffcli
from bot.store import invariants
from tests.e2e.conftest import Live

STUDENT, STUDENT2, PEER, BK, BK2 = 1001, 1002, 2001, 3001, 3002
CRISIS = "aku udah ga kuat, pengen mati aja"


async def counselors(live: Live) -> None:
    await live.enrol(BK, "counselor", "Bu Rina")
    await live.enrol(BK2, "counselor", "Pak Dedi")


async def settled_and_safe(live: Live) -> None:
    for _ in range(100):  # the outbox drains within a second or two
        async with live.app.store.read() as db:
            rows = await db.execute_fetchall(
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        if rows[0][0] == 0:
            break
        await asyncio.sleep(0.05)
    async with live.app.store.read() as db:
        assert await invariants.violations(db) == []


async def test_removed_counselor_crisis_reaches_the_other_counselor(live: Live, config,
                                                                     monkeypatch) -> None:
    from tests.conftest import SECRET

    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())  # the CLI shares the bot's secret
    fake = live.fake
    await counselors(live)
    fake.say(STUDENT, CRISIS)
    await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    fake.press(BK, "Saya tangani")
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    assert await staffcli.remove(config, "Bu Rina", clock=live.app.clock) == ("Bu Rina", 1)
    await fake.wait_text(STUDENT, "berhalangan", timeout=10)  # the timer loop looks every 5 s
    await fake.wait_text(BK2, "BUTUH GURU BK SEKARANG")
    fake.say(STUDENT, "aku di atap sekolah sekarang")
    await asyncio.sleep(0.3)
    fake.press(BK2, "Saya tangani")
    taken = await fake.wait_text(BK2, "Bapak/Ibu sekarang menangani")
    assert "di atap sekolah" in taken.text and "pengen mati aja" in taken.text
    assert not any("atap" in t for t in fake.to(BK))
    await settled_and_safe(live)


async def test_long_message_with_crisis_at_character_2500(live: Live) -> None:
    fake = live.fake
    await counselors(live)
    filler = ("tadi di sekolah ada ulangan matematika, terus istirahat ke kantin. " * 40)[:2500]
    text = (filler + " jadi aku mau bunuh diri malam ini. " + filler)[:4096]
    fake.say(STUDENT, text)
    alert = await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    assert "bunuh diri malam ini" in alert.text
    await settled_and_safe(live)


async def test_crisis_flood_reaches_guru_bk_in_full(live: Live) -> None:
    fake = live.fake
    await counselors(live)
    fake.say(STUDENT, CRISIS)
    await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    fake.press(BK, "Saya tangani")
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    for i in range(40):
        fake.say(STUDENT, f"tolong bu {i}")
    await fake.wait_for(lambda _: sum("tolong bu" in t for t in fake.to(BK)) >= 40, timeout=20)
    assert not any("Pelan-pelan" in t for t in fake.to(STUDENT))
    await settled_and_safe(live)


async def test_two_cases_per_counselor_reply_to_and_selector(live: Live) -> None:
    fake = live.fake
    await live.enrol(BK, "counselor", "Bu Rina")
    for n, student in enumerate((STUDENT, STUDENT2), 1):
        fake.say(student, CRISIS)
        await fake.wait_for(lambda _, n=n: sum("BUTUH GURU BK" in t for t in fake.to(BK)) >= n)
        fake.press(BK, "Saya tangani")
        await fake.wait_text(student, "Guru BK sekarang menemanimu")
    fake.say(STUDENT, "bu aku takut")
    fake.say(STUDENT2, "aku di kamar")
    first = await fake.wait_text(BK, "bu aku takut")
    await fake.wait_text(BK, "aku di kamar")
    fake.reply(BK, first, "Ibu di sini, kamu aman?")
    await fake.wait_text(STUDENT, "Guru BK: Ibu di sini, kamu aman?")
    await fake.wait_text(BK, "✓ terkirim ke")
    assert not any("Ibu di sini" in t for t in fake.to(STUDENT2))
    fake.say(BK, "Halo semuanya")  # no reply, no choice yet: it waits for a case button
    ask = await fake.wait_text(BK, "belum dikirim")
    assert len(ask.buttons) == 2  # one per case
    fake.press(BK, ask.buttons[1][0])
    await fake.wait_for(lambda _: any("Halo semuanya" in t
                                      for t in fake.to(STUDENT) + fake.to(STUDENT2)))
    await asyncio.sleep(0.3)
    got = [t for t in fake.to(STUDENT) + fake.to(STUDENT2) if "Halo semuanya" in t]
    assert len(got) == 1  # exactly one student, the one chosen
    await settled_and_safe(live)


async def test_blocked_counselor_the_ladder_moves_on_within_seconds(live: Live) -> None:
    fake = live.fake
    await counselors(live)
    async with live.app.store.transaction() as db:  # Pak Dedi off duty: level 1 is Bu Rina
        key = live.app.vault.user_key("telegram", str(BK2))
        await db.execute("UPDATE users SET duty = 'off' WHERE key = ?", (key.value,))
    fake.blocked.add(BK)
    fake.say(STUDENT, CRISIS)
    await fake.wait_text(STUDENT, "kamu nggak sendirian")
    await fake.wait_text(BK2, "BUTUH GURU BK SEKARANG", timeout=5)  # not 5 minutes
    await settled_and_safe(live)


async def test_blocked_student_the_peer_is_told(live: Live) -> None:
    from tests.e2e.test_telegram_e2e import intake_to_peer

    fake = live.fake
    await live.enrol(PEER, "peer", "Bintang")
    await intake_to_peer(live)
    await fake.wait_text(PEER, "Ada teman yang ingin cerita")
    fake.press(PEER, "Terima")
    await fake.wait_text(STUDENT, "sekarang menemanimu")
    fake.blocked.add(STUDENT)
    fake.say(PEER, "Hai, aku dengerin ya")
    await fake.wait_text(PEER, "tidak sampai ke siswa")
    await settled_and_safe(live)


async def test_photo_caption_with_crisis_alerts(live: Live) -> None:
    fake = live.fake
    await counselors(live)
    fake.send_kind(STUDENT, "photo", caption="aku mau bunuh diri")
    await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")
    await fake.wait_text(STUDENT, "kamu nggak sendirian")


async def test_api_base_url_in_ptbs_documented_form_works(fake, config, clock) -> None:
    from bot.channels.telegram import TelegramChannel

    for base in (fake.base_url, fake.base_url + "/bot", fake.base_url + "/bot/"):
        channel = TelegramChannel(fake.token, base, poll_timeout=1, send_interval=0)
        await channel.start()  # getMe, deleteWebhook, setMyCommands: all reached the fake
        await channel.stop()
    assert fake.calls["getMe"] == 6  # two clients each (ordinary and crisis lanes)


async def test_a_rejected_token_is_never_printed(fake, config) -> None:
    import os
    import sys

    token = "987654:ThisIsTheSecretTokenNobodyMaySee"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "SEBAYA_SECRET": "x" * 40,
           "TELEGRAM_API_BASE_URL": fake.base_url + "/bot"}
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config.base_dir / "config.yaml"),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(bot.communicate(), 60)
    printed = (out + err).decode()
    assert bot.returncode == 2 and "cannot reach the Telegram Bot API" in printed
    assert "ThisIsTheSecret" not in printed
