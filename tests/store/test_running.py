"""The running mark (bot/store/running.py): a running bot holds it, a command that must run
alone is refused while it is held, and a bot killed with SIGKILL leaves no stale mark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import running

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_SH)
print("held", flush=True)
time.sleep(60)
"""


async def test_a_killed_bot_leaves_no_stale_mark(tmp_path: Path) -> None:
    database = tmp_path / "sebaya.sqlite3"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(running.mark_path(database))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(running.BotRunning):
            async with running.alone(database):
                pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    async with running.alone(database):  # the kernel dropped the dead holder's lock
        pass
    assert oct(running.mark_path(database).stat().st_mode & 0o777) == "0o600"
