"""Chaos benchmark (issue: reliability): the full-size runs of tests/chaos.py.

  kill   : 50 conversations, >= 500 student messages, peers and counselors acting, the bot
           process SIGKILLed at random moments >= 10 times and restarted.
  faults : 20% of the Bot API's sendMessage calls fail (429 with retry_after, 500, connection
           reset after delivery, timeout after delivery), for minutes.

Each prints messages, kills, losses (must be 0), duplicates, order violations and the time the
outbox took to drain after the load. Exit 1 when any check fails.

  wa-kill, wa-faults (wa: both): the same with the students on WhatsApp (webhook deliveries
           re-sent until answered 200, every 3rd twice, statuses for every message; Graph API
           faults 130429, 5xx, 131000 and 131056) and the staff on Telegram, one process.

  pg     : the kill run on PostgreSQL (a throwaway cluster) with 3 workers: a random worker
           SIGKILLed >= 10 times and the database restarted twice during the load.

Usage: python3 bench/chaos_bench.py [kill|faults|both|wa-kill|wa-faults|wa|pg] [--students 50]
       [--kills 12] [--seed 7] [--workers 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from tests.chaos import ChaosPlan, ChaosRun  # noqa: E402
from tests.fakebot import FakeBotApi  # noqa: E402
from tests.fakewa import FakeWhatsApp  # noqa: E402

SECRET = b"chaos-bench-secret-0123456789abcdef"


async def one(name: str, plan: ChaosPlan, whatsapp: bool = False, pg_server=None) -> bool:
    with tempfile.TemporaryDirectory(prefix="sebaya-chaos-") as tmp:
        project = Path(tmp)
        shutil.copy(ROOT / "config.yaml", project / "config.yaml")
        shutil.copytree(ROOT / "flows", project / "flows")
        config = load_config(project / "config.yaml")
        fake = FakeBotApi()
        await fake.start()
        wa = FakeWhatsApp() if whatsapp else None
        if wa is not None:
            await wa.start()
        try:
            run = ChaosRun(fake, config, project / "config.yaml", SECRET.decode(), plan, wa=wa,
                           pg_server=pg_server)
            await run.enrol_staff(SECRET)
            report = await run.run()
            if run.failures() and config.database_path.exists():  # keep the evidence
                shutil.copy(config.database_path, Path(tempfile.gettempdir())
                            / "sebaya-chaos-failed.sqlite3")
        finally:
            await fake.stop()
            if wa is not None:
                await wa.stop()
    failures = run.failures()
    print(f"== {name}")
    for line in report.lines():
        print("  " + line)
    print("  RESULT: " + ("ok" if not failures else "FAILED: " + "; ".join(failures)))
    return not failures


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="both",
                        choices=("kill", "faults", "both", "wa-kill", "wa-faults", "wa", "pg"))
    parser.add_argument("--workers", type=int, default=3, help="pg: worker processes")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0),
                        help="a student's pause between steps in the faults run (seconds)")
    args = parser.parse_args()
    ok = True
    if args.mode == "pg":
        import os

        from tests.pgserver import PgServer

        server = PgServer.start()
        try:
            os.environ["SEBAYA_DATABASE_URL"] = server.fresh_database()
            ok &= await one(f"PostgreSQL, {args.workers} workers, SIGKILLs and database "
                            "restarts", ChaosPlan(students=args.students, kills=args.kills,
                                                  seed=args.seed, workers=args.workers,
                                                  db_restarts=2), pg_server=server)
        finally:
            server.stop()
        return 0 if ok else 1
    if args.mode in ("kill", "both"):
        ok &= await one("SIGKILL restarts", ChaosPlan(
            students=args.students, crisis_every=5, peers=max(2, args.students // 5),
            counselors=3, exchanges=4, kills=args.kills, kill_every=(0.8, 1.8), think=(0.1, 0.8),
            seed=args.seed))
    if args.mode == "both":
        print()
    if args.mode in ("faults", "both"):
        ok &= await one("Bot API faults (20% of sends)", ChaosPlan(
            students=args.students, crisis_every=5, peers=max(2, args.students // 5),
            counselors=3, exchanges=4, kills=0, fault_rate=0.2, think=tuple(args.think),
            step_timeout=900, seed=args.seed))  # a queued student may wait minutes
    if args.mode in ("wa-kill", "wa"):
        ok &= await one("WhatsApp students, SIGKILL restarts, Meta re-delivering", ChaosPlan(
            students=args.students, crisis_every=5, peers=max(2, args.students // 5),
            counselors=3, exchanges=4, kills=args.kills, kill_every=(0.8, 1.8), think=(0.1, 0.8),
            seed=args.seed), whatsapp=True)
    if args.mode == "wa":
        print()
    if args.mode in ("wa-faults", "wa"):
        ok &= await one("WhatsApp students, Graph API faults (20% of sends: 130429, 5xx, "
                        "131000, 131056)", ChaosPlan(
            students=args.students, crisis_every=5, peers=max(2, args.students // 5),
            counselors=3, exchanges=4, kills=0, fault_rate=0.2, think=tuple(args.think),
            step_timeout=900, seed=args.seed), whatsapp=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
