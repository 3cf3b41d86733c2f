"""Where a crisis waits: ``python -m bot run`` with timing hooks (a profiling aid, not a test).

``bench/e2e_bench.py --trace DIR`` starts each worker as ``python bench/crisis_trace.py DIR
run --config ...`` instead of ``python -m bot run ...``. The hooks wrap (from outside, the bot
is unchanged) the stages a crisis goes through and write one JSON line per stage and crisis
token (the bench's crisis texts carry one, ``z0001q``) to ``DIR/<pid>.jsonl``:

fetched (getUpdates answered; ``poll_sent``: when that long poll was sent), accept_start /
accept_end (the inbox commit), handle_start / locked (this process's per-person lock held) /
handled, the PostgreSQL pool waits and statements of the crisis (``pool_wait``, ``sql``,
``person_lock``), urgent_pass (the outbox's urgent lane starting), claim (its recipient
locks and re-check), send_start / send_end (the alert's HTTP call). Every ``interval`` the
event loop's lag (how late a callback ran) is written too: time a crisis waits for CPU in
its own process. Timestamps are ``time.perf_counter()`` (CLOCK_MONOTONIC: comparable across
the processes of one machine). ``bench/e2e_bench.py`` sums them up (``summarise``).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = re.compile(r"\b[zyw]\d{4}q\b")
CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("crisis_token", default="")
_out = None


def emit(stage: str, token: str, **extra) -> None:
    if _out is None or not token:
        return
    _out.write(json.dumps({"t": time.perf_counter(), "stage": stage, "token": token,
                           "pid": os.getpid(), **extra}) + "\n")


def _token_of(text: str | None) -> str:
    found = TOKEN.search(text or "")
    return found.group(0) if found else ""


def install(directory: str) -> None:
    global _out
    Path(directory).mkdir(parents=True, exist_ok=True)
    _out = open(Path(directory) / f"{os.getpid()}.jsonl", "a", buffering=1)  # noqa: SIM115

    import asyncpg

    from bot.channels import telegram
    from bot.runtime import dispatcher, outbox
    from bot.store.pg import conn

    original_fetch = telegram.TelegramChannel.fetch

    async def fetch(self):
        sent = time.perf_counter()
        updates = await original_fetch(self)
        for raw in updates:
            token = _token_of((raw.get("message") or {}).get("text"))
            emit("fetched", token, poll_sent=sent, batch=len(updates))
        return updates

    telegram.TelegramChannel.fetch = fetch

    original_accept = dispatcher.Dispatcher.accept_many

    async def accept_many(self, events):
        tokens = [_token_of(e.text) for e in events]
        for token in tokens:
            emit("accept_start", token, batch=len(events))
        result = await original_accept(self, events)
        for token in tokens:
            emit("accept_end", token)
        return result

    dispatcher.Dispatcher.accept_many = accept_many

    original_handle = dispatcher.Dispatcher._handle

    async def handle(self, row_id, key, urgent=False, event=None):
        token = _token_of(event.text) if event is not None else ""
        CURRENT.set(token)
        emit("handle_start", token, urgent=urgent, in_flight=len(self._scheduled))
        try:
            return await original_handle(self, row_id, key, urgent, event)
        finally:
            emit("handled", token)

    dispatcher.Dispatcher._handle = handle

    original_one = dispatcher.Dispatcher._handle_one

    async def handle_one(self, row_id, key, urgent=False, event=None):
        emit("locked", CURRENT.get())
        return await original_one(self, row_id, key, urgent, event)

    dispatcher.Dispatcher._handle_one = handle_one

    original_acquire = asyncpg.pool.PoolAcquireContext.__aenter__

    async def acquire(self):
        start = time.perf_counter()
        con = await original_acquire(self)
        emit("pool_wait", CURRENT.get(), ms=(time.perf_counter() - start) * 1000,
             pool=self.pool._maxsize)
        return con

    asyncpg.pool.PoolAcquireContext.__aenter__ = acquire

    from bot.store.pg import shared

    original_hold = shared.Shares.hold

    def hold(self, school, *args):
        inner = original_hold(self, school, *args)

        class Timed:
            async def __aenter__(self_inner):
                start = time.perf_counter()
                value = await inner.__aenter__()
                emit("share_wait", CURRENT.get(), ms=(time.perf_counter() - start) * 1000)
                return value

            async def __aexit__(self_inner, *exc):
                return await inner.__aexit__(*exc)

        return Timed()

    shared.Shares.hold = hold

    original_execute = conn.PgConnection._execute

    async def execute(self, sql, args):
        token = CURRENT.get()
        if not token:
            return await original_execute(self, sql, args)
        start = time.perf_counter()
        try:
            return await original_execute(self, sql, args)
        finally:
            emit("sql", token, ms=(time.perf_counter() - start) * 1000, q=sql[:60])

    conn.PgConnection._execute = execute

    original_lock = conn.PgConnection.advisory_xact_lock

    async def advisory(self, space, key):
        start = time.perf_counter()
        await original_lock(self, space, key)
        emit("person_lock", CURRENT.get(), ms=(time.perf_counter() - start) * 1000)

    conn.PgConnection.advisory_xact_lock = advisory

    original_send_due = outbox.OutboxSender._send_due

    async def send_due(self, min_priority=0, wait=False):
        if min_priority:
            emit("urgent_pass", CURRENT.get())
        return await original_send_due(self, min_priority, wait)

    outbox.OutboxSender._send_due = send_due

    original_claim = outbox.OutboxSender._claim_recipients

    async def claim(self, queues):
        start = time.perf_counter()
        result = await original_claim(self, queues)
        for queue in queues.values():
            for row in queue:
                emit("claim", _token_of(row.text), ms=(time.perf_counter() - start) * 1000,
                     kept=row.recipient_key in result[0])
        return result

    outbox.OutboxSender._claim_recipients = claim

    original_deliver = outbox.OutboxSender._deliver

    async def deliver(self, row):
        token = _token_of(row.text) if row.audience != "student" else ""
        emit("send_start", token, priority=row.priority)
        result = await original_deliver(self, row)
        emit("send_end", token)
        return result

    outbox.OutboxSender._deliver = deliver


async def _lag_monitor(interval: float = 0.05) -> None:
    """How late the event loop runs a callback due ``interval`` from now."""
    while True:
        start = time.perf_counter()
        await asyncio.sleep(interval)
        lag = (time.perf_counter() - start - interval) * 1000
        if _out is not None:
            _out.write(json.dumps({"t": time.perf_counter(), "stage": "lag", "ms": lag,
                                   "pid": os.getpid()}) + "\n")


def main() -> int:
    directory, argv = sys.argv[1], sys.argv[2:]
    install(directory)
    from bot import cli

    original_run = asyncio.run

    def run(coro, **kwargs):
        async def with_monitor():
            monitor = asyncio.get_running_loop().create_task(_lag_monitor())
            try:
                return await coro
            finally:
                monitor.cancel()

        return original_run(with_monitor(), **kwargs)

    asyncio.run = run
    return cli.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


SEGMENTS = (  # (label, from, to): the first of each stage for a crisis token
    ("waiting for the poller to ask", "said", "poll_sent"),
    ("in getUpdates (fake API answering)", "asked", "fetched"),
    ("parse and triage", "fetched", "accept_start"),
    ("inbox commit (crisis first)", "accept_start", "accept_end"),
    ("accepted -> handling starts", "accept_start", "handle_start"),
    ("per-person lock (this worker)", "handle_start", "locked"),
    ("handling transaction", "locked", "handled"),
    ("handled -> alert send starts", "handled", "send_start"),
    ("alert HTTP call", "send_start", "send_end"),
    ("send answered -> fake API recorded", "send_end", "received"),
    ("fake API recorded -> bench saw it", "received", "seen"),
    ("total", "said", "seen"),
)


def summarise(directory: str, said: dict[str, tuple[float, float, float]],
              bench_lag: list[float]) -> str:
    """Per segment of a crisis's path, p50 / p99 / max in ms over the crises of the run;
    then what the handling transaction spent waiting (pool, person lock, statements) and the
    event loops' lag."""
    stages: dict[str, dict[str, float]] = {}
    sums: dict[str, dict[str, float]] = {}
    lags: dict[int, list[float]] = {}
    for path in Path(directory).glob("*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if row["stage"] == "lag":
                lags.setdefault(row["pid"], []).append(row["ms"])
                continue
            token = row["token"]
            mine = stages.setdefault(token, {})
            if row["stage"] not in mine:
                mine[row["stage"]] = row["t"]
                if row["stage"] == "fetched":
                    mine["poll_sent"] = row["poll_sent"]
            if "ms" in row and "handled" not in mine:  # waits before the alert was queued
                total = sums.setdefault(token, {})
                key = row["stage"] if row["stage"] != "pool_wait" else f"pool_wait{row['pool']}"
                total[key] = total.get(key, 0.0) + row["ms"]
                total[f"{key}#"] = total.get(f"{key}#", 0) + 1
    for token, (start, received, seen) in said.items():
        mine = stages.setdefault(token, {})
        mine.update(said=start, received=received, seen=seen)
        if "poll_sent" in mine:  # a long poll already waiting when the crisis was said
            mine["asked"] = max(mine["poll_sent"], start)
            mine["poll_sent"] = max(mine["poll_sent"], start)
    lines = [f"== where {len(said)} crises waited (ms: p50 / p99 / max)"]
    for label, first, last in SEGMENTS:
        values = [(s[last] - s[first]) * 1000 for t, s in stages.items()
                  if t in said and first in s and last in s]
        if values:
            lines.append(f"{label:40} {_pct(values, .5):7.1f} {_pct(values, .99):7.1f} "
                         f"{max(values):7.1f}  (n={len(values)})")
    keys = sorted({k for total in sums.values() for k in total if not k.endswith("#")})
    for key in keys:
        values = [total.get(key, 0.0) for t, total in sums.items() if t in said]
        counts = [total.get(f"{key}#", 0) for t, total in sums.items() if t in said]
        if values:
            lines.append(f"  sum of {key:32} {_pct(values, .5):7.1f} {_pct(values, .99):7.1f} "
                         f"{max(values):7.1f}  ({_pct(counts, .5):.0f} calls)")
    for pid, values in sorted(lags.items()):
        lines.append(f"worker {pid} event-loop lag: p50 {_pct(values, .5):.1f} p99 "
                     f"{_pct(values, .99):.1f} max {max(values):.1f} ms")
    if bench_lag:
        ms = [v * 1000 for v in bench_lag]
        lines.append(f"bench (load + fake API) event-loop lag: p50 {_pct(ms, .5):.1f} p99 "
                     f"{_pct(ms, .99):.1f} max {max(ms):.1f} ms")
    return "\n".join(lines)
