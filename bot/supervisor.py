"""`sebaya run --workers N`: one command that starts and supervises N worker processes.

Each worker is an ordinary ``sebaya run`` process on the same PostgreSQL database (they share
all work through it: bot/store/pg). The supervisor only keeps N of them alive:

* a worker that exits while the supervisor runs (a crash, a SIGKILL, the OOM killer) is started
  again after a pause that doubles while it keeps dying young (1 s up to 30 s) and resets once
  a worker has lived a minute; its claims return to the queue meanwhile (inbox leases, advisory
  locks), so the others carry on;
* SIGTERM or SIGINT stops every worker with SIGTERM (each stops cleanly: no new deliveries,
  what it handles is committed or left pending), waits ``grace`` seconds, then SIGKILLs what is
  left; nothing is restarted once stopping began.

The supervisor does no work itself and opens no database connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence

log = logging.getLogger("sebaya.supervisor")
WORKER_ENV = "SEBAYA_WORKER"  # each worker's number (1..N), for its logs


def _die_with_parent() -> None:
    """In the new worker (Linux): SIGTERM it when the supervisor dies, even by SIGKILL, so no
    worker outlives it unsupervised (each is in a session of its own)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Supervisor:
    """Keep ``count`` processes of ``argv`` running until ``stop``."""

    def __init__(self, argv: Sequence[str], count: int, env: Mapping[str, str] | None = None,
                 first_delay: float = 1.0, max_delay: float = 30.0, healthy: float = 60.0,
                 grace: float = 20.0, clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1:
            raise ValueError("at least one worker")
        self.argv = list(argv)
        self.count = count
        self.env = dict(os.environ if env is None else env)
        self.first_delay, self.max_delay, self.healthy = first_delay, max_delay, healthy
        self.grace = grace
        self.clock = clock
        self.stopping = asyncio.Event()
        self.processes: dict[int, asyncio.subprocess.Process] = {}
        self.started = 0  # processes started in all (restarts included)

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> int:
        """Supervise until ``stop()``; 0 when every worker stopped cleanly at the end."""
        slots = [asyncio.create_task(self._slot(n)) for n in range(1, self.count + 1)]
        await self.stopping.wait()
        await self._terminate()
        codes = await asyncio.gather(*slots)
        # a worker still starting has no handler yet: SIGTERM's default ends it, as asked
        return 0 if all(code in (0, None, -signal.SIGTERM) for code in codes) else 1

    async def _spawn(self, n: int) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *self.argv, env={**self.env, WORKER_ENV: str(n)}, start_new_session=True,
            preexec_fn=_die_with_parent)
        self.processes[n] = process
        self.started += 1
        log.info("worker %s started (pid %s)", n, process.pid)
        return process

    async def _slot(self, n: int) -> int | None:
        """Worker ``n``: started, and started again whenever it dies, until stopping; its
        last exit code."""
        delay = self.first_delay
        code: int | None = None
        while not self.stopping.is_set():
            began = self.clock()
            process = await self._spawn(n)
            waiting = asyncio.create_task(process.wait())
            halt = asyncio.create_task(self.stopping.wait())
            await asyncio.wait({waiting, halt}, return_when=asyncio.FIRST_COMPLETED)
            halt.cancel()
            if not waiting.done():  # stopping: _terminate ends it
                code = await waiting
                break
            code = waiting.result()
            if self.stopping.is_set():
                break
            delay = self.first_delay if self.clock() - began >= self.healthy else delay
            log.warning("worker %s (pid %s) exited with code %s; starting it again in %.1f s",
                        n, process.pid, code, delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self.stopping.wait()
            delay = min(self.max_delay, delay * 2)
        return code

    async def _terminate(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still there after ``grace``."""
        alive = [p for p in self.processes.values() if p.returncode is None]
        for process in alive:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(self.grace):
                await asyncio.gather(*(p.wait() for p in alive))
        except TimeoutError:
            for process in alive:
                if process.returncode is None:
                    log.warning("worker pid %s did not stop in %.0f s: killed", process.pid,
                                self.grace)
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            await asyncio.gather(*(p.wait() for p in alive))
        log.info("all %s workers stopped", self.count)


async def supervise(argv: Sequence[str], count: int, env: Mapping[str, str] | None = None
                    ) -> int:
    """Run a ``Supervisor`` with SIGTERM and SIGINT stopping it (``sebaya run --workers``)."""
    supervisor = Supervisor(argv, count, env)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, supervisor.stop)
    log.info("supervising %s workers; SIGTERM or Ctrl-C stops them all", count)
    return await supervisor.run()
