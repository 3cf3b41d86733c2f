"""`sebaya run --workers 2` for real: two worker processes on one PostgreSQL database against
the fake Bot API; one SIGKILLed is started again while the other carries on; SIGTERM stops
both and the supervisor."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from bot import staffcli
from bot.config import Config
from tests.chaos import bot_env
from tests.conftest import ROOT, SECRET
from tests.fakebot import FakeBotApi

BK = 9101
_STARTED = re.compile(r"worker (\d+) started \(pid (\d+)\)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


async def test_run_workers_2_serves_restarts_a_killed_worker_and_stops_cleanly(
        fake: FakeBotApi, project: Path, config: Config, pg_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEBAYA_DATABASE_URL", pg_url)
    monkeypatch.setenv("SEBAYA_MIGRATE_DATABASE_URL", pg_url)  # its owner migrates it
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    code = await staffcli.invite(config, "counselor", "Bu Rina", days=1)
    env = {**bot_env(fake, SECRET.decode()), "SEBAYA_DATABASE_URL": pg_url}
    supervisor = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--workers", "2", "--config",
        str(project / "config.yaml"), cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    workers: dict[int, list[int]] = {}  # worker number -> pids, in start order
    lines: list[str] = []

    async def read() -> None:
        assert supervisor.stderr is not None
        async for raw in supervisor.stderr:
            line = raw.decode(errors="replace")
            lines.append(line)
            if found := _STARTED.search(line):
                workers.setdefault(int(found[1]), []).append(int(found[2]))

    reader = asyncio.create_task(read())
    try:
        fake.say(BK, f"/join {code}")
        await fake.wait_text(BK, "terdaftar sebagai", timeout=60)
        assert sorted(workers) == [1, 2]
        fake.say(7001, "aku pengen mati aja")
        await fake.wait_text(BK, "BUTUH GURU BK SEKARANG", timeout=30)
        os.kill(workers[1][0], signal.SIGKILL)  # it may be the poller: polling moves
        for n in range(5):  # the other worker (and the restarted one) carry on meanwhile
            fake.say(7100 + n, "halo")
        for n in range(5):
            await fake.wait_count(7100 + n, 1, timeout=60)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        def restarted_and_running() -> bool:  # the new worker 1 is up (not only started)
            starts = [i for i, line in enumerate(lines) if "worker 1 started" in line]
            return len(starts) >= 2 and any("running on" in line
                                            for line in lines[starts[1]:])

        while not restarted_and_running():
            assert loop.time() < deadline, "".join(lines[-20:])
            await asyncio.sleep(0.1)
        assert any("worker 1" in line and "exited with code -9" in line for line in lines)
        pids = [workers[1][-1], workers[2][-1]]
        assert all(_alive(pid) for pid in pids)
        supervisor.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(supervisor.wait(), 60) == 0, "".join(lines[-30:])
        assert not any(_alive(pid) for pid in pids)
        assert any("all 2 workers stopped" in line for line in lines)
    finally:
        if supervisor.returncode is None:
            supervisor.kill()  # its workers die with it (PR_SET_PDEATHSIG)
            await supervisor.wait()
        for pid in [pid for pids in workers.values() for pid in pids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(reader, 30)
