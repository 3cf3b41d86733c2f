"""Which PostgreSQL driver: asyncpg or psycopg 3, on the store's shape of work.

Each transaction is what handling an event does in miniature: BEGIN, an UPDATE of an inbox row,
a SELECT by key, an INSERT into the outbox, COMMIT; N transactions from C concurrent tasks on a
pool. Prints transactions per second for each driver. Needs a running PostgreSQL: pass its URL
(the test helper can start one: ``python bench/pg_driver_bench.py --start``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

SETUP = ("DROP TABLE IF EXISTS b_inbox, b_out;"
         "CREATE TABLE b_inbox (id bigint PRIMARY KEY, user_key text, status text);"
         "CREATE TABLE b_out (id bigserial PRIMARY KEY, user_key text, payload bytea);"
         "INSERT INTO b_inbox SELECT g, 'u' || (g % 100), 'pending' "
         "FROM generate_series(1, 100000) g;")


async def run_asyncpg(url: str, n: int, c: int) -> float:
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=c, max_size=c)
    async with pool.acquire() as con:
        await con.execute(SETUP)

    async def one(i: int) -> None:
        async with pool.acquire() as con, con.transaction():
            await con.execute("UPDATE b_inbox SET status = 'done' WHERE id = $1", i)
            await con.fetch("SELECT id, status FROM b_inbox WHERE user_key = $1 LIMIT 5",
                            f"u{i % 100}")
            await con.fetchrow("INSERT INTO b_out (user_key, payload) VALUES ($1, $2) "
                               "RETURNING id", f"u{i % 100}", b"x" * 200)

    started = time.perf_counter()
    await _fan(one, n, c)
    took = time.perf_counter() - started
    await pool.close()
    return n / took


async def run_psycopg(url: str, n: int, c: int) -> float:
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(url, min_size=c, max_size=c, open=False)
    await pool.open()
    async with pool.connection() as con:
        await con.execute(SETUP)

    async def one(i: int) -> None:
        async with pool.connection() as con, con.transaction():
            await con.execute("UPDATE b_inbox SET status = 'done' WHERE id = %s", (i,))
            await (await con.execute("SELECT id, status FROM b_inbox WHERE user_key = %s "
                                     "LIMIT 5", (f"u{i % 100}",))).fetchall()
            await (await con.execute("INSERT INTO b_out (user_key, payload) VALUES (%s, %s) "
                                     "RETURNING id", (f"u{i % 100}", b"x" * 200))).fetchone()

    started = time.perf_counter()
    await _fan(one, n, c)
    took = time.perf_counter() - started
    await pool.close()
    return n / took


async def _fan(work, n: int, c: int) -> None:
    queue = iter(range(1, n + 1))

    async def worker() -> None:
        for i in queue:
            await work(i)

    await asyncio.gather(*(worker() for _ in range(c)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--start", action="store_true", help="start a throwaway cluster")
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("-c", type=int, default=8)
    args = parser.parse_args()
    server = None
    if args.start:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.pgserver import PgServer

        server = PgServer.start()
        args.url = server.fresh_database()
    try:
        for name, fn in (("asyncpg", run_asyncpg), ("psycopg", run_psycopg),
                         ("asyncpg", run_asyncpg), ("psycopg", run_psycopg)):
            rate = asyncio.run(fn(args.url, args.n, args.c))
            print(f"{name:8} {rate:7.0f} transactions/s ({args.n} x 4 statements, {args.c} tasks)")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
