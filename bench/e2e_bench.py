"""End-to-end benchmark: Sebaya through python-telegram-bot against the fake Bot API server,
next to a bare python-telegram-bot echo bot on the same server.

Each simulated student sends a message and waits for the bot's answer before the next one
(closed loop), many students at once. Figures: updates/s, p50/p99 message -> first reply,
crisis message -> first counselor alert, the echo bot's updates/s and the ratio; then the
resident memory with N open conversations in the store and the latency at 100 vs N open.

Usage: python3 bench/e2e_bench.py [--students 200] [--rounds 4] [--open 10000]
Production pacing (about 30 messages/s, Telegram's limit) is switched off for both bots here:
the fake server has no limit and we measure the software, not Telegram's quota.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram.ext import Application, MessageHandler, filters  # noqa: E402

from bot.app import App  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.clock import ShiftedClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.core.events import InboundEvent, Kind  # noqa: E402
from tests.fakebot import FakeBotApi  # noqa: E402

BK = 999_999


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def converse(fake: FakeBotApi, students: list[int], rounds: int,
                   text_for) -> tuple[list[float], float]:
    """Closed loop: each student sends, waits for the first answer, repeats."""
    latencies: list[float] = []

    async def one(student: int) -> None:
        for n in range(rounds):
            seen = fake.count(student)
            start = time.perf_counter()
            fake.say(student, text_for(student, n))
            await fake.wait_count(student, seen + 1, timeout=30)
            latencies.append(time.perf_counter() - start)

    begin = time.perf_counter()
    await asyncio.gather(*(one(s) for s in students))
    return latencies, time.perf_counter() - begin


async def run_sebaya(args, config) -> dict:
    fake = FakeBotApi()
    await fake.start()
    channel = TelegramChannel(fake.token, fake.base_url, poll_timeout=1, send_interval=0)
    clock = ShiftedClock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))
    app = await App.build(config, {channel.name: channel}, clock=clock,
                          secret=b"bench-secret-0123456789")
    await app.enrol_local_staff("telegram", str(BK), str(BK), "counselor", "Bu Rina")
    await channel.start()
    await app.start()
    stopping = asyncio.Event()
    poll = asyncio.create_task(channel.poll(app.dispatcher.accept_many, stopping))
    students = list(range(10_000, 10_000 + args.students))
    texts = ("halo", "/help", "/bahasa", "/help", "/help", "/help")
    crisis: list[float] = []
    loaded = asyncio.Event()

    async def crises_under_load() -> None:
        """While the load runs, a crisis every 50 ms: time to the first counselor alert."""
        for i in range(1000):
            if loaded.is_set():
                return
            token = f"z{i:04d}q"
            start = time.perf_counter()
            fake.say(20_000 + i, f"aku pengen mati aja {token}")
            await fake.wait_text(BK, token, timeout=10)
            crisis.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)

    prober = asyncio.create_task(crises_under_load())
    latencies, elapsed = await converse(fake, students, args.rounds,
                                        lambda s, n: texts[n % len(texts)])
    loaded.set()
    await prober
    updates = len(students) * args.rounds
    out = {"updates": updates, "elapsed": elapsed, "rate": updates / elapsed,
           "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
           "crisis_p50": pct(crisis, 0.5), "crisis_p99": pct(crisis, 0.99),
           "crises": len(crisis)}
    stopping.set()
    poll.cancel()
    await asyncio.gather(poll, return_exceptions=True)
    await app.stop()
    await channel.stop()
    await fake.stop()
    return out


async def run_echo(args) -> dict:
    fake = FakeBotApi()
    await fake.start()

    async def echo(update, context) -> None:
        await update.message.reply_text(update.message.text)

    application = (Application.builder().token(fake.token).base_url(fake.base_url + "/bot")
                   .build())
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        students = list(range(10_000, 10_000 + args.students))
        latencies, elapsed = await converse(fake, students, args.rounds, lambda s, n: "halo")
        await application.updater.stop()
        await application.stop()
    await fake.stop()
    updates = len(students) * args.rounds
    return {"rate": updates / elapsed, "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99)}


async def open_conversations(args, config) -> dict:
    """N students left mid-intake in the store; memory and latency at 100 vs N open."""

    class Null:
        name = "telegram"

        async def send(self, message):
            from bot.core.events import SendResult

            return SendResult.ok()

    app = await App.build(config, {"telegram": Null()}, secret=b"bench-secret-0123456789")
    results: dict = {}

    async def probe(label: str) -> None:
        timings = []
        for i in range(200):
            event = InboundEvent("telegram", f"probe-{label}-{i}", f"p{label}{i}",
                                 f"p{label}{i}", Kind.TEXT, "halo")
            start = time.perf_counter()
            await app.dispatcher.accept(event)
            await app.dispatcher.drain()
            timings.append(time.perf_counter() - start)
        results[f"latency_{label}"] = pct(timings, 0.5), pct(timings, 0.99)

    created = 0
    for target in (100, args.open):
        while created < target:
            batch = min(500, target - created)
            for i in range(created, created + batch):
                await app.dispatcher.accept(InboundEvent("telegram", f"seed-{i}", f"u{i}",
                                                         f"u{i}", Kind.TEXT, "halo"))
            await app.dispatcher.drain()
            created += batch
        await probe(str(target))
    async with app.store.transaction() as db:
        open_count = (await (await db.execute(
            "SELECT COUNT(*) FROM conversations WHERE flow IS NOT NULL")).fetchone())[0]
    results["open"] = open_count
    results["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await app.stop()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--open", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = load_config(ROOT / "config.yaml")
        config = base.model_copy(update={"database": base.database.model_copy(
            update={"path": str(Path(tmp) / "bench.sqlite3")})})
        sebaya = await run_sebaya(args, config)
        echo = await run_echo(args)
        print(f"== {args.students} students x {args.rounds} messages, closed loop, loopback")
        print(f"{'':26}{'sebaya':>12}{'PTB echo bot':>14}")
        print(f"{'updates/s':26}{sebaya['rate']:>12.0f}{echo['rate']:>14.0f}")
        print(f"{'p50 message->reply (ms)':26}{sebaya['p50']:>12.1f}{echo['p50']:>14.1f}")
        print(f"{'p99 message->reply (ms)':26}{sebaya['p99']:>12.1f}{echo['p99']:>14.1f}")
        print(f"throughput ratio sebaya/echo: {sebaya['rate'] / echo['rate']:.2f}")
        print(f"crisis message -> first counselor alert, during that load: p50 "
              f"{sebaya['crisis_p50']:.1f} ms, p99 {sebaya['crisis_p99']:.1f} ms "
              f"({sebaya['crises']} crises)")
        config2 = base.model_copy(update={"database": base.database.model_copy(
            update={"path": str(Path(tmp) / "open.sqlite3")})})
        opened = await open_conversations(args, config2)
        print(f"== {opened['open']} open conversations in the store")
        print(f"peak resident memory (whole process, incl. the runs above): "
              f"{opened['rss_mb']:.0f} MB")
        for label in ("100", str(args.open)):
            p50, p99 = opened[f"latency_{label}"]
            print(f"handling latency with {label:>6} open: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
