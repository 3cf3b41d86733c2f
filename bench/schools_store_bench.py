"""Fairness of the shared PostgreSQL pool across schools (issue #19, the store's half).

One process, S school views on one database sharing one pool (``bot/store/pg/shared.py``).
One noisy school runs ``--noisy`` concurrent transactions without pause; each quiet school
runs one at a time. Each transaction is an event's shape in miniature: a person lock, an
inbox insert, a read by key, an outbox-sized update, commit. Prints the quiet schools' and the
noisy school's transaction latency (p50/p99) with the per-school cap (``--share``) and
without it (share 1.0), so the effect of ``database.school_share`` is visible. Starts its own
throwaway cluster (tests/pgserver.py); a benchmark, not a test: timings depend on the machine.

    python bench/schools_store_bench.py --schools 10 --noisy 40 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def _event(store, n: int) -> None:
    from bot.store import inbox

    async with store.transaction() as db:
        await store.lock_person(db, f"person-{n % 50}")
        row = await inbox.insert(db, "bench", f"{store.school}-{n}-{time.perf_counter_ns()}",
                                 f"person-{n % 50}", b"x" * 200, dt.datetime.now(dt.UTC))
        await db.execute_fetchall("SELECT id, status FROM inbox WHERE user_key = ? "
                                  "ORDER BY id DESC LIMIT 5", (f"person-{n % 50}",))
        await db.execute("UPDATE inbox SET status = 'done' WHERE id = ?", (row,))


async def _loop(store, stop: asyncio.Event, out: list[float]) -> None:
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        await _event(store, n)
        out.append((time.perf_counter() - started) * 1000)
        n += 1


def _p(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def run(url: str, owner: str, schools: int, noisy: int, seconds: float, share: float,
              pool: int) -> dict[str, list[float]]:
    from bot.core.identity import IdentityVault
    from bot.store.pg.store import PgStore

    vault = IdentityVault(b"bench-secret-0123456789abcdef")
    stores = [await PgStore.open(url, vault, school=f"s{i}", migrate_url=owner,
                                 pool_size=pool, school_share=share) for i in range(schools)]
    stop = asyncio.Event()
    quiet: list[float] = []
    loud: list[float] = []
    tasks = [asyncio.create_task(_loop(stores[0], stop, loud)) for _ in range(noisy)]
    tasks += [asyncio.create_task(_loop(s, stop, quiet)) for s in stores[1:]]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    for store in stores:
        await store.close()
    return {"quiet": quiet, "noisy": loud}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--noisy", type=int, default=40, help="the noisy school's concurrency")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--share", type=float, default=0.5)
    args = parser.parse_args()
    from tests.pgserver import PgServer, app_url, owner_url

    server = PgServer.start()
    try:
        for share in (args.share, 1.0):
            url = server.migrated_database()
            result = asyncio.run(run(url, owner_url(url), args.schools, args.noisy,
                                     args.seconds, share, args.pool))
            for name, values in result.items():
                print(f"share {share:.2f} {name:5}: {len(values):6} transactions, "
                      f"p50 {_p(values, 50):7.1f} ms, p99 {_p(values, 99):7.1f} ms")
            server.release(url)
            assert url == app_url(url)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
