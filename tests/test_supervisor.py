"""`sebaya run --workers N`: the supervisor keeps N processes alive and stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.supervisor import WORKER_ENV, Supervisor

# a stand-in worker: says which one it is, stops cleanly on SIGTERM
WORKER = ("import os, signal, sys, time\n"
          "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
          "print(os.environ['" + WORKER_ENV + "'], flush=True)\n"
          "time.sleep(600)\n")
STUBBORN = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(600)\n"


def ready_when_handled(script: str, marks: Path) -> str:
    """``script`` that, once its SIGTERM handler is in place, leaves a file named by its pid in
    ``marks``: tests wait for that instead of sleeping (a loaded machine starts Python slowly)."""
    mark = f"import os, pathlib; pathlib.Path({str(marks)!r}, str(os.getpid())).touch()\n"
    head, sep, rest = script.partition("time.sleep(600)")
    return head + mark + sep + rest


def handled(marks: Path, pid: int) -> bool:
    return (marks / str(pid)).exists()


async def _until(check, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


async def test_a_worker_that_dies_is_started_again_and_stop_ends_them_all(tmp_path: Path) -> None:
    supervisor = Supervisor([sys.executable, "-c", ready_when_handled(WORKER, tmp_path)], 3,
                            first_delay=0.05)
    running = asyncio.create_task(supervisor.run())
    await _until(lambda: len(supervisor.processes) == 3)
    first = dict(supervisor.processes)
    os.kill(first[2].pid, signal.SIGKILL)  # a crash, the OOM killer
    await _until(lambda: supervisor.processes[2].pid != first[2].pid)
    assert supervisor.started == 4
    await _until(lambda: all(handled(tmp_path, p.pid) for p in supervisor.processes.values()))
    assert supervisor.processes[1] is first[1] and supervisor.processes[3] is first[3]
    pids = [p.pid for p in supervisor.processes.values()]
    supervisor.stop()
    assert await asyncio.wait_for(running, 20) == 0  # every worker stopped cleanly
    assert not any(_alive(pid) for pid in pids)
    assert supervisor.started == 4  # nothing started again while stopping


async def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    supervisor = Supervisor([sys.executable, "-c", ready_when_handled(STUBBORN, tmp_path)], 1,
                            grace=0.5)
    running = asyncio.create_task(supervisor.run())
    await _until(lambda: len(supervisor.processes) == 1)
    pid = supervisor.processes[1].pid
    await _until(lambda: handled(tmp_path, pid))  # its SIGTERM handler is in place
    supervisor.stop()
    assert await asyncio.wait_for(running, 10) == 1  # not a clean stop, and said so
    assert not _alive(pid)


async def test_a_worker_dying_young_again_and_again_is_restarted_ever_more_slowly() -> None:
    supervisor = Supervisor([sys.executable, "-c", "raise SystemExit(3)"], 1,
                            first_delay=0.05, max_delay=0.4)
    running = asyncio.create_task(supervisor.run())
    await asyncio.sleep(1.5)
    supervisor.stop()
    await asyncio.wait_for(running, 10)
    # 0.05 + 0.1 + 0.2 + 0.4 + 0.4 ...: a handful of starts in 1.5 s, not one every 50 ms
    assert 3 <= supervisor.started <= 8


def test_run_with_several_workers_on_sqlite_is_refused_plainly(
        project: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEBAYA_DATABASE_URL", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    code = cli.main(["run", "--workers", "2", "--config", str(project / "config.yaml")])
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "--workers 2 needs PostgreSQL" in err and "SQLite has one writer" in err


def test_workers_must_be_a_positive_number(project: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--workers", "0", "--config", str(project / "config.yaml")])
    assert "not a number of workers" in capsys.readouterr().err


async def test_workers_do_not_outlive_a_killed_supervisor(tmp_path: Path) -> None:
    """SIGKILL of the supervisor itself (OOM killer, kill -9): its workers end too."""
    pids = tmp_path / "pids"
    script = ("import asyncio, sys\nfrom bot.supervisor import Supervisor\n"
              f"s = Supervisor([sys.executable, '-c', {WORKER!r}], 2)\n"
              "async def main():\n"
              "    task = asyncio.create_task(s.run())\n"
              "    while len(s.processes) < 2: await asyncio.sleep(0.02)\n"
              f"    open({str(pids)!r}, 'w').write(' '.join(str(p.pid) for p in "
              "s.processes.values()))\n"
              "    await task\n"
              "asyncio.run(main())\n")
    parent = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    await _until(lambda: pids.exists() and len(pids.read_text().split()) == 2)
    workers = [int(pid) for pid in pids.read_text().split()]
    await asyncio.sleep(0.3)
    parent.kill()
    await parent.wait()
    await _until(lambda: not any(_alive(pid) for pid in workers), timeout=10)
