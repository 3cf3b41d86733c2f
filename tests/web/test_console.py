"""`sebaya run` without a token is the console channel, and it serves the web view too:
/dasbor typed at the keyboard gives a link that signs in a browser, and a crisis typed as a
student is taken from the web with the student told in the console."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import aiohttp

from tests.conftest import ROOT
from tests.web.test_settings import _free_port

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/masuk/[A-Za-z0-9_-]+)")


class Console:
    """A `sebaya run` at a keyboard: type lines, wait for what it prints."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.out = ""

    async def type(self, line: str) -> None:
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def wait_for(self, pattern: str, seconds: float = 30) -> re.Match:
        async def read() -> re.Match:
            while not (found := re.search(pattern, self.out)):
                chunk = await self.process.stdout.read(4096)
                assert chunk, f"the console ended; it printed:\n{self.out}"
                self.out += chunk.decode("utf-8", "replace")
            return found
        return await asyncio.wait_for(read(), seconds)


async def test_dasbor_in_the_console_gives_a_link_that_works_in_a_browser(project) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env.update(SEBAYA_SECRET="a-long-enough-test-secret", SEBAYA_WEB_PORT=str(port),
               PYTHONUNBUFFERED="1")
    env.pop("SEBAYA_WEB_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(project / "config.yaml"), cwd=ROOT,
        env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    console = Console(process)
    try:
        await console.wait_for(rf"web view on http://127\.0\.0\.1:{port}")
        await console.type("/as counselor:Bu Rina")
        await console.type("/dasbor")
        url = (await console.wait_for(LINK.pattern)).group(1)
        assert url.startswith(f"http://127.0.0.1:{port}/masuk/")
        await console.type("/as student:7")
        await console.type("aku udah ga kuat, pengen mati aja")
        await console.wait_for(r"\[counselor:Bu Rina\] 🤖 🚨 BUTUH GURU BK")
        jar = aiohttp.CookieJar(unsafe=True)
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            async with browser.post(url, headers={"Origin": base}) as page:
                assert page.status == 200 and str(page.url).endswith("/langsung")
                live = await page.text()
            assert "Bu Rina" in live and "belum ada yang menangani" in live
            code = live.split('href="/kasus/', 1)[1][:4]
            csrf = live.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            async with browser.post(f"{base}/kasus/{code}/ambil", data={"csrf": csrf},
                                    headers={"Origin": base}) as page:
                assert "Kasus sudah Bapak/Ibu ambil" in await page.text()
        await console.wait_for(r"\[student:7\] 🤖 Guru BK sekarang menemanimu")
    finally:
        if process.returncode is None:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
