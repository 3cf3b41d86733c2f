"""The web view in a real browser (Debian's headless Chromium, phone-sized): sign in through
a link received in the fake Telegram chat, see a crisis appear on Live by itself, take it and
see the student told in the chat, read the transcript (a student's markup stays text), open
the other pages. ``SEBAYA_SCREENSHOTS=DIR`` keeps a screenshot of each page there."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.e2e.browser import chromium, require_browser
from tests.e2e.conftest import WebLive

STUDENT, BK, BK2, PEER = 1001, 3001, 3002, 2001
XSS = '<script>document.title="PWNED"</script><img src=x onerror="document.title=\'PWNED\'">'


async def test_a_counselor_works_a_crisis_in_the_browser(weblive: WebLive, tmp_path: Path
                                                          ) -> None:
    require_browser()
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    fake = weblive.fake
    await weblive.enrol(BK, "counselor", "Bu Rina")
    await weblive.enrol(BK2, "counselor", "Pak Budi")
    await weblive.enrol(PEER, "peer", "Bintang")
    shots = Path(os.environ.get("SEBAYA_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    driver = await asyncio.to_thread(chromium, tmp_path / "profile")

    def run(step):  # Selenium blocks: it runs in a thread while the server's loop goes on
        return asyncio.to_thread(step)

    def wait_text(fragment: str, seconds: float = 10) -> None:
        WebDriverWait(driver, seconds, poll_frequency=0.2,  # the page may be navigating
                      ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: fragment in d.find_element(By.TAG_NAME, "body").text)

    def on(selector: str, act):  # the live part may be swapped between find and use: again
        return WebDriverWait(driver, 10, ignored_exceptions=(WebDriverException,)
                             ).until(lambda d: act(d.find_element(By.CSS_SELECTOR, selector))
                                     or True)

    def shot(name: str) -> None:
        driver.save_screenshot(str(shots / f"web-{name}.png"))

    try:
        url = await weblive.link(BK)
        await run(lambda: (driver.get(url), shot("signin")))
        await run(lambda: (driver.find_element(By.ID, "masuk").click(),
                           wait_text("Bertugas sekarang")))
        assert driver.current_url.endswith("/langsung")
        fake.say(STUDENT, f"aku udah ga kuat, pengen mati aja {XSS}", first_name="Kartika")
        await run(lambda: wait_text("belum ada yang menangani"))  # the page refreshed itself
        await run(lambda: shot("live"))
        found: list[str] = []
        await run(lambda: on(".crisis a.code", lambda e: found.append(e.text)))
        code = found[0]
        await run(lambda: (on(".crisis button", lambda e: e.click()),
                           wait_text("Kasus sudah Bapak/Ibu ambil")))
        await fake.wait_text(STUDENT, "Guru BK sekarang menemanimu")
        await fake.wait_text(BK2, "sudah ditangani oleh Bu Rina")
        fake.say(BK, "Ibu di sini. Kamu aman?")
        await fake.wait_text(STUDENT, "Guru BK: Ibu di sini. Kamu aman?")
        fake.say(STUDENT, "iya bu, aku di kamar")
        await fake.wait_text(BK, "iya bu, aku di kamar")
        await run(lambda: (driver.get(f"{weblive.base}/kasus/{code.lstrip('#')}"),
                           wait_text("iya bu, aku di kamar"), shot("case")))
        body = await run(lambda: driver.find_element(By.TAG_NAME, "body").text)
        assert "<script>" in body  # shown as the text the student typed ...
        assert driver.title != "PWNED"  # ... and never run
        for path, expect, name in (("/kasus", "Kasus terbuka", "cases"),
                                   ("/laporan", "Laporan program", "report"),
                                   ("/staf", "Undang staf", "staff"),
                                   ("/kesehatan", "Kesehatan sistem", "health")):
            await run(lambda p=path, e=expect, n=name: (driver.get(weblive.base + p),
                                                         wait_text(e), shot(n)))
        await run(lambda: (driver.get(weblive.base + "/langsung"), wait_text("Sedang ditangani"),
                           shot("live-taken")))
        width = await run(lambda: driver.execute_script(
            "return document.documentElement.scrollWidth"))
        assert width <= 390  # nothing wider than the phone
    finally:
        await asyncio.to_thread(driver.quit)
