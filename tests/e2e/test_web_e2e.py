"""The web view end to end over HTTP: a link received in the fake Telegram chat, sign-in, a
crisis on Live, taken from the web, the student told in the chat."""

from __future__ import annotations

import aiohttp

from tests.e2e.conftest import WebLive

STUDENT, BK, BK2 = 1001, 3001, 3002


async def test_link_from_the_chat_to_a_crisis_taken_on_the_web(weblive: WebLive) -> None:
    fake = weblive.fake
    await weblive.enrol(BK, "counselor", "Bu Rina")
    await weblive.enrol(BK2, "counselor", "Pak Budi")
    url = await weblive.link(BK)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(url) as page:
            assert page.status == 200
        async with browser.post(url, headers={"Origin": weblive.base}) as page:
            assert page.status == 200 and str(page.url).endswith("/langsung")
            html = await page.text()
        assert "Tidak ada krisis yang menunggu" in html
        fake.say(STUDENT, "aku udah ga kuat, pengen mati aja", first_name="Kartika",
                 username="kartika_p")
        await fake.wait_text(BK, "BUTUH GURU BK SEKARANG")  # committed: Live shows it now
        async with browser.get(weblive.base + "/langsung/bagian") as part:  # the page polls this
            fragment = await part.text()
        assert "Saya tangani" in fragment and "tingkat 1 dari 3" in fragment
        for secret in ("Kartika", "kartika_p", str(STUDENT)):
            assert secret not in fragment
        code = fragment.split('href="/kasus/', 1)[1][:4]
        csrf = fragment.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        async with browser.post(f"{weblive.base}/kasus/{code}/ambil", data={"csrf": csrf},
                                headers={"Origin": weblive.base}) as page:
            assert page.status == 200 and "Kasus sudah Bapak/Ibu ambil" in await page.text()
    await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
    await fake.wait_text(BK2, "sudah ditangani oleh Bu Rina")
    await fake.wait_for(lambda _: len(fake.edits) >= 2)  # both alerts lose "Saya tangani"
    fake.say(BK, "Ibu di sini. Kamu aman?")  # and the counselor talks in the chat as usual
    await fake.wait_text(STUDENT, "Guru BK: Ibu di sini. Kamu aman?")
