"""End-to-end benchmark: Sebaya through python-telegram-bot against the fake Bot API server,
next to a bare python-telegram-bot echo bot on the same server.

Each simulated student sends a message and waits for the bot's answer before the next one
(closed loop), many students at once. Figures: updates/s, p50/p99 message -> first reply,
crisis message -> first counselor alert, the echo bot's updates/s and the ratio; then the
resident memory with N open conversations in the store and the latency at 100 vs N open.

A WhatsApp row follows (students on WhatsApp through the webhook, guru BK on Telegram, one
process): updates/s and crisis -> alert latency; ``--whatsapp only`` runs just that.

Usage: python3 bench/e2e_bench.py [--students 200] [--rounds 4] [--open 10000]
Production pacing (about 30 messages/s, Telegram's limit) is switched off for both bots here:
the fake server has no limit and we measure the software, not Telegram's quota.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpushare import CpuShares  # noqa: E402
from bot import staffcli  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.core.events import InboundEvent, Kind  # noqa: E402
from tests.chaos import bot_env, free_port  # noqa: E402
from tests.fakebot import FakeBotApi  # noqa: E402
from tests.fakewa import FakeWhatsApp  # noqa: E402

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
            await fake.wait_count(student, seen + 1, timeout=120)  # a loaded machine
            latencies.append(time.perf_counter() - start)

    begin = time.perf_counter()
    await asyncio.gather(*(one(s) for s in students))
    return latencies, time.perf_counter() - begin


async def _spawn(argv: list[str], env: dict[str, str],
                 log: Path | None = None) -> asyncio.subprocess.Process:
    err = open(log, "ab") if log is not None else asyncio.subprocess.DEVNULL  # noqa: SIM115
    return await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=err)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        process.kill()


async def run_sebaya(args, config_path: Path, env: dict[str, str]) -> dict:
    """Sebaya as its own process (python -m bot run), exactly as deployed."""
    fake = FakeBotApi()
    await fake.start()
    env = {**env, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
           "TELEGRAM_SEND_RATE": "0"}
    config = load_config(config_path)
    os.environ["SEBAYA_SECRET"] = env["SEBAYA_SECRET"]
    if env.get("SEBAYA_DATABASE_URL"):  # the invite goes where the bots will look
        os.environ["SEBAYA_DATABASE_URL"] = env["SEBAYA_DATABASE_URL"]
    code = await staffcli.invite(config, "counselor", "Bu Rina", days=1)
    profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
    entry = [str(ROOT / "bench" / "crisis_trace.py"), args.trace] if args.trace else \
        ["-m", "bot"]
    if args.trace:
        Path(args.trace).mkdir(parents=True, exist_ok=True)
    bots = [await _spawn([sys.executable, *profile, *entry, "run", "--config",
                          str(config_path)], env,
                         Path(args.trace) / f"worker{n}.log" if args.trace else None)
            for n in range(args.workers)]
    try:
        fake.say(BK, f"/join {code}")
        await fake.wait_text(BK, "terdaftar sebagai", timeout=120)  # a loaded machine
        students = list(range(10_000, 10_000 + args.students))
        texts = ("halo", "/help", "/bahasa", "/help", "/help", "/help")
        crisis: list[float] = []
        said: dict[str, tuple[float, float, float]] = {}  # token -> (said, alert received, seen)
        loaded = asyncio.Event()

        async def crises_under_load() -> None:
            """While the load runs, a crisis every 50 ms: time to the first counselor alert."""
            for i in range(10_000):
                if loaded.is_set():
                    return
                token = f"z{i:04d}q"
                start = time.perf_counter()
                fake.say(20_000 + i, f"aku pengen mati aja {token}")
                alert = await fake.wait_text(BK, token, timeout=20)
                seen = time.perf_counter()
                crisis.append(seen - start)
                said[token] = (start, alert.at, seen)
                await asyncio.sleep(0.05)

        prober = asyncio.create_task(crises_under_load())
        lag = asyncio.create_task(_loop_lag())
        cpu = CpuShares.snapshot({"sebaya": [b.pid for b in bots],
                                  **({"postgres": [args.pg_pid]} if args.pg_pid else {})})
        sent_before = len(fake.sent)
        latencies, elapsed = await converse(fake, students, args.rounds,
                                            lambda s, n: texts[n % len(texts)])
        messages = len(fake.sent) - sent_before
        shares = cpu.since()
        loaded.set()
        await prober
        lag.cancel()
        await asyncio.gather(lag, return_exceptions=True)
        updates = len(students) * args.rounds

        # Open loop at a steady, realistic rate: crises probed while it runs.
        await asyncio.sleep(2)  # let the closed-loop backlog drain first
        steady: list[float] = []
        done = asyncio.Event()

        async def steady_load() -> None:
            interval = 1 / args.rate
            n = 0
            loop = asyncio.get_running_loop()
            end = loop.time() + args.seconds
            while loop.time() < end:
                fake.say(40_000 + n % 500, "/help")
                n += 1
                await asyncio.sleep(interval)
            done.set()

        async def steady_crises() -> None:
            i = 0
            while not done.is_set():
                token = f"y{i:04d}q"
                start = time.perf_counter()
                fake.say(30_000 + i, f"aku pengen mati aja {token}")
                await fake.wait_text(BK, token, timeout=20)
                steady.append(time.perf_counter() - start)
                i += 1
                await asyncio.sleep(0.2)

        await asyncio.gather(steady_load(), steady_crises())
    except BaseException:  # a stuck run must not leave its bots running
        for each in bots:
            each.kill()
        await fake.stop()
        raise
    rss = max(_peak_rss_mb(b.pid) for b in bots)
    for each in bots:
        await _stop(each)
    await fake.stop()
    return {"updates": updates, "elapsed": elapsed, "rate": updates / elapsed,
            "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
            "crisis_p50": pct(crisis, 0.5), "crisis_p99": pct(crisis, 0.99),
            "crises": len(crisis), "rss": rss, "messages_rate": messages / elapsed,
            "steady_p50": pct(steady, 0.5), "steady_p99": pct(steady, 0.99),
            "steady_n": len(steady), "cpu": shares, "said": said,
            "bench_lag": _LAGS[:]}


_LAGS: list[float] = []


async def _loop_lag(interval: float = 0.05) -> None:
    """The bench process's own event-loop lag while the load runs (the fake API answers the
    bots from this loop: a late callback here is time a crisis alert waits in the bench)."""
    _LAGS.clear()
    while True:
        start = time.perf_counter()
        await asyncio.sleep(interval)
        _LAGS.append(time.perf_counter() - start - interval)


async def run_sebaya_whatsapp(args, config_path: Path, env: dict[str, str]) -> dict:
    """The same closed loop with the students on WhatsApp: the signed webhook in (and Meta's
    sent/delivered/read statuses for every message, as it sends them), the Graph API fake out,
    guru BK on Telegram; one `python -m bot run` serving both."""
    fake, wa = FakeBotApi(), FakeWhatsApp()
    wa.statuses = not args.no_statuses
    await fake.start()
    await wa.start()
    port = free_port()
    wa.webhook_url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    env = {**bot_env(fake, env["SEBAYA_SECRET"], wa, port), "TELEGRAM_SEND_RATE": "0"}
    config = load_config(config_path)
    os.environ["SEBAYA_SECRET"] = env["SEBAYA_SECRET"]
    if env.get("SEBAYA_DATABASE_URL"):  # the invite goes where the bots will look
        os.environ["SEBAYA_DATABASE_URL"] = env["SEBAYA_DATABASE_URL"]
    code = await staffcli.invite(config, "counselor", "Bu Rina", days=1)
    bot = await _spawn([sys.executable, "-m", "bot", "run", "--config", str(config_path)], env)
    fake.say(BK, f"/join {code}")
    await fake.wait_text(BK, "terdaftar sebagai", timeout=30)
    students = [f"6281{n:08d}" for n in range(args.students)]
    texts = ("halo", "/help", "/bahasa", "/help", "/help", "/help")
    crisis: list[float] = []
    loaded = asyncio.Event()

    async def crises_under_load() -> None:
        for i in range(1000):
            if loaded.is_set():
                return
            token = f"w{i:04d}q"
            start = time.perf_counter()
            wa.say(f"6289{i:08d}", f"aku pengen mati aja {token}")
            await fake.wait_text(BK, token, timeout=20)
            crisis.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)

    prober = asyncio.create_task(crises_under_load())
    sent_before = len(wa.sent)
    latencies, elapsed = await converse(wa, students, args.rounds,
                                        lambda s, n: texts[n % len(texts)])
    messages = len(wa.sent) - sent_before
    loaded.set()
    await prober
    rss = _peak_rss_mb(bot.pid)
    await _stop(bot)
    await wa.stop()
    await fake.stop()
    updates = len(students) * args.rounds
    return {"updates": updates, "rate": updates / elapsed, "p50": pct(latencies, 0.5),
            "p99": pct(latencies, 0.99), "crisis_p50": pct(crisis, 0.5),
            "crisis_p99": pct(crisis, 0.99), "crises": len(crisis), "rss": rss,
            "messages_rate": messages / elapsed, "refused": len(wa.refused),
            "deliveries": len(wa.webhook_answers)}


def print_whatsapp(args, run: dict) -> None:
    statuses = "no statuses" if args.no_statuses else "3 statuses for every message"
    print(f"== WhatsApp: {args.students} students x {args.rounds} messages, closed loop; the "
          f"webhook in ({statuses}), the Graph API fake out, guru BK on Telegram")
    print(f"updates/s {run['rate']:.0f}; message->reply p50 {run['p50']:.1f} ms, p99 "
          f"{run['p99']:.1f} ms; messages sent/s {run['messages_rate']:.0f}; webhook "
          f"deliveries {run['deliveries']}; payloads refused {run['refused']}")
    print(f"crisis on WhatsApp -> first counselor alert on Telegram, during that load: p50 "
          f"{run['crisis_p50']:.1f} ms, p99 {run['crisis_p99']:.1f} ms ({run['crises']} crises); "
          f"peak memory {run['rss']:.0f} MB")


async def run_echo(args, env: dict[str, str]) -> dict:
    """The bare python-telegram-bot echo bot, also as its own process."""
    fake = FakeBotApi()
    await fake.start()
    bot = await _spawn([sys.executable, str(ROOT / "bench" / "echo_bot.py"), fake.token,
                        fake.base_url], env)
    fake.say(1, "warm-up")
    await fake.wait_count(1, 1, timeout=30)
    students = list(range(10_000, 10_000 + args.students))
    sent_before = len(fake.sent)
    latencies, elapsed = await converse(fake, students, args.rounds, lambda s, n: "halo")
    messages = len(fake.sent) - sent_before
    await _stop(bot)
    await fake.stop()
    updates = len(students) * args.rounds
    return {"rate": updates / elapsed, "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
            "messages_rate": messages / elapsed}


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


async def scaling(args, server, config_path: Path, env: dict[str, str]) -> None:
    """SQLite, PostgreSQL with one and two workers, the echo bot: one run each, in a row."""
    rows = []
    for db, workers in (("sqlite", 1), ("postgres", 1), ("postgres", 2)):
        args.workers = workers
        run_env = dict(env)
        if db == "postgres":
            run_env["SEBAYA_DATABASE_URL"] = server.fresh_database()
        else:
            run_env.pop("SEBAYA_DATABASE_URL", None)
            os.environ.pop("SEBAYA_DATABASE_URL", None)
            for stale in config_path.parent.glob("bench.sqlite3*"):
                stale.unlink()
        run = await run_sebaya(args, config_path, run_env)
        rows.append((f"{db} x{workers}", run))
        print(json.dumps({"db": db, "workers": workers, **{
            k: (round(v, 2) if isinstance(v, float) else v) for k, v in run.items()
            if k not in ("said", "bench_lag")}}), flush=True)
    echo = await run_echo(args, env)
    print(f"== scaling: {args.students} students x {args.rounds} messages, closed loop; "
          "crisis probes during the load; CPU in cores (2 = the whole machine)")
    print(f"{'':14}{'updates/s':>10}{'msgs/s':>8}{'crisis p50':>11}{'p99':>7}{'n':>4}"
          f"{'cpu bots':>9}{'pg':>6}{'bench':>7}{'other':>7}{'idle':>6}")
    for label, run in rows:
        cpu = run["cpu"]
        print(f"{label:14}{run['rate']:>10.0f}{run['messages_rate']:>8.0f}"
              f"{run['crisis_p50']:>11.0f}{run['crisis_p99']:>7.0f}{run['crises']:>4}"
              f"{cpu['sebaya']:>9.2f}{cpu.get('postgres', 0):>6.2f}{cpu['bench']:>7.2f}"
              f"{cpu['other']:>7.2f}{cpu['idle']:>6.2f}")
    print(f"{'PTB echo bot':14}{echo['rate']:>10.0f}{echo['messages_rate']:>8.0f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0, help="steady updates/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="steady phase length")
    parser.add_argument("--open-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="write a cProfile of the Sebaya process here")
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternating runs of both bots; the median ratio is reported")
    parser.add_argument("--quick", action="store_true",
                        help="Sebaya only: no echo baseline, no open-conversations phase")
    parser.add_argument("--whatsapp", choices=("also", "only", "no"), default="also",
                        help="the WhatsApp row: after the Telegram runs, instead, or not")
    parser.add_argument("--no-statuses", action="store_true",
                        help="WhatsApp without Meta's sent/delivered/read statuses")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: a throwaway cluster (tests/pgserver.py), fresh per run")
    parser.add_argument("--workers", type=int, default=1,
                        help="sebaya run processes sharing the database (postgres only)")
    parser.add_argument("--trace", metavar="DIR",
                        help="run the workers with bench/crisis_trace.py's timing hooks, "
                             "writing to DIR, and print where each crisis waited")
    parser.add_argument("--scaling", action="store_true",
                        help="one run each of SQLite, PostgreSQL with 1 and with 2 workers "
                             "and the echo bot, one after the other: a table with CPU shares")
    args = parser.parse_args()
    args.pg_pid = 0
    if args.scaling:
        args.db = "postgres"
    if args.workers > 1 and args.db != "postgres":
        parser.error("several workers need --db postgres")
    server = None
    if args.db == "postgres":
        from tests.pgserver import PgServer

        server = PgServer.start()
        pid_file = server.root / "data" / "postmaster.pid"
        args.pg_pid = int(pid_file.read_text().split()[0])
    try:
        await _main(args, server)
    finally:
        if server is not None:
            server.stop()


async def _main(args, server) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = load_config(ROOT / "config.yaml")
        if args.open_only:  # a fresh process, so its peak memory is Sebaya's alone
            url = server.fresh_database() if server is not None else None  # --db postgres
            os.environ.pop("SEBAYA_DATABASE_URL", None)  # a parent's run must not override it
            config = base.model_copy(update={"database": base.database.model_copy(
                update={"path": str(Path(tmp) / "open.sqlite3"), "url": url})})
            opened = await open_conversations(args, config)
            print(json.dumps(opened))
            return
        config_path = Path(tmp) / "config.yaml"
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")
        config_path.write_text(text.replace("path: data/sebaya.sqlite3",
                                            f"path: {tmp}/bench.sqlite3"), encoding="utf-8")
        shutil.copytree(ROOT / "flows", Path(tmp) / "flows")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env["SEBAYA_SECRET"] = "bench-secret-0123456789abcdef"
        if args.scaling:
            await scaling(args, server, config_path, env)
            return
        if args.whatsapp == "only":
            print_whatsapp(args, await run_sebaya_whatsapp(args, config_path, env))
            return
        runs = []
        for _ in range(args.repeat):  # alternate the two bots: the machine's speed drifts
            if server is not None:
                env["SEBAYA_DATABASE_URL"] = server.fresh_database()
            sebaya = await run_sebaya(args, config_path, env)
            if args.trace:
                from bench.crisis_trace import summarise

                print(summarise(args.trace, sebaya["said"], sebaya["bench_lag"]))
            if args.quick:
                print(json.dumps({"db": args.db, "workers": args.workers,
                                  **{k: (round(v, 2) if isinstance(v, float) else v)
                                     for k, v in sebaya.items()
                                     if k not in ("said", "bench_lag")}}))
                return
            runs.append((sebaya, await run_echo(args, env)))
            for stale in Path(tmp).glob("bench.sqlite3*"):  # the next run starts fresh
                stale.unlink()
        whatsapp = (await run_sebaya_whatsapp(args, config_path, env)
                    if args.whatsapp == "also" else None)
    ratios = sorted(s["rate"] / e["rate"] for s, e in runs)
    sebaya, echo = sorted(runs, key=lambda r: r[0]["rate"] / r[1]["rate"])[len(runs) // 2]
    print(f"== {args.students} students x {args.rounds} messages, closed loop, loopback; "
          f"each bot in its own process; median of {len(runs)} alternating runs")
    print(f"{'':26}{'sebaya':>12}{'PTB echo bot':>14}")
    print(f"{'updates/s':26}{sebaya['rate']:>12.0f}{echo['rate']:>14.0f}")
    print(f"{'p50 message->reply (ms)':26}{sebaya['p50']:>12.1f}{echo['p50']:>14.1f}")
    print(f"{'p99 message->reply (ms)':26}{sebaya['p99']:>12.1f}{echo['p99']:>14.1f}")
    print(f"{'messages sent/s':26}{sebaya['messages_rate']:>12.0f}{echo['messages_rate']:>14.0f}")
    print(f"throughput ratio sebaya/echo: {sebaya['rate'] / echo['rate']:.2f} in updates "
          f"(all runs: {', '.join(f'{r:.2f}' for r in ratios)}), "
          f"{sebaya['messages_rate'] / echo['messages_rate']:.2f} in messages sent")
    print(f"crisis message -> first counselor alert, during that load: p50 "
          f"{sebaya['crisis_p50']:.1f} ms, p99 {sebaya['crisis_p99']:.1f} ms "
          f"({sebaya['crises']} crises; p99 of all runs: "
          f"{', '.join(format(s['crisis_p99'], '.0f') for s, _ in runs)} ms)")
    print(f"crisis message -> first counselor alert at a steady {args.rate:.0f} updates/s: "
          f"p50 {sebaya['steady_p50']:.1f} ms, p99 {sebaya['steady_p99']:.1f} ms "
          f"({sebaya['steady_n']} crises over {args.seconds:.0f} s)")
    print(f"sebaya process peak memory under that load: {sebaya['rss']:.0f} MB")
    if whatsapp is not None:
        print_whatsapp(args, whatsapp)
    result = subprocess.run([sys.executable, __file__, "--open-only", "--open", str(args.open),
                             "--db", args.db],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    opened = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"== {opened['open']} open conversations in the store ({args.db}; separate "
          "process)")
    print(f"peak resident memory: {opened['rss_mb']:.0f} MB")
    for label in ("100", str(args.open)):
        p50, p99 = opened[f"latency_{label}"]
        print(f"handling latency with {label:>6} open: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
