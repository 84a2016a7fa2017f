"""What the benchmarks share: a database (filled with demo data, summaries caught up), an
emulator process, members to send to, percentiles."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
from aiohttp import ClientError, ClientSession

from bot.db import demo, summaries
from bot.db.embedded import EmbeddedPostgres
from bot.db.migrate import apply_migrations
from bot.db.pool import create_pool

ADMIN_TOKEN = "1000001:" + "A" * 35
TZ = "Europe/Moscow"  # the stats and users benches count days here
STREAM = "4th_stream"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[str]:
    """A fresh, migrated database: on BENCH_DATABASE_URL's server, or an embedded one."""
    base = os.environ.get("BENCH_DATABASE_URL")
    server = None
    if base is None:
        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="bench-pg-")) / "data")
        await asyncio.to_thread(server.start)
        base = server.dsn("postgres")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    from urllib.parse import urlsplit, urlunsplit
    dsn = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    conn = await asyncpg.connect(dsn)
    await apply_migrations(conn)
    await conn.close()
    try:
        yield dsn
    finally:
        admin = await asyncpg.connect(base)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        if server is not None:
            await asyncio.to_thread(server.stop)


async def add_members(dsn: str, count: int, start: int = 1_000_000) -> list[int]:
    """`count` users with a confirmed booking in STREAM (binary COPY)."""
    pool = await create_pool(dsn, max_size=2)
    ids = list(range(start, start + count))
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "bookings", columns=["user_id", "username", "first_name", "course_id",
                                 "course_stream", "confirmed"],
            records=[(i, f"u{i}", "Маша", 1, STREAM, 2) for i in ids])
    await pool.close()
    return ids


class EmulatorProcess:
    """The emulator in a process of its own (a core of its own)."""

    def __init__(self, *, per_second: int = 30, paid_per_second: int = 1000,
                 latency: float = 0.05, count_edits: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["--token", ADMIN_TOKEN, "--port", str(self.port), "--per-second",
                     str(per_second), "--paid-per-second", str(paid_per_second),
                     "--latency", str(latency), *(["--count-edits"] if count_edits else [])]
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> EmulatorProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.sandbox", *self.args, stdout=asyncio.subprocess.DEVNULL)
        for _ in range(1200):  # a minute: importing the bot takes long on a busy machine
            try:
                await self.stats()
                return self
            except (ClientError, OSError):
                await asyncio.sleep(0.05)
        raise RuntimeError("emulator did not start")

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        await self.proc.wait()

    def cpu_time(self) -> float:
        """CPU seconds the emulator process has used so far."""
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

    async def stats(self) -> dict:
        async with ClientSession() as http:
            async with http.get(f"{self.url}/_emulator/stats", params={"token": ADMIN_TOKEN}) as r:
                r.raise_for_status()
                return await r.json()


def data_arguments(doc: str | None) -> argparse.ArgumentParser:
    """A parser with the demo data's size and --reuse (the stats and users benches)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--reuse", help="a database to use as it is (filled if empty)")
    return parser


@contextlib.asynccontextmanager
async def filled_database(args: argparse.Namespace) -> AsyncIterator[str]:
    if args.reuse:
        conn = await asyncpg.connect(args.reuse)
        await apply_migrations(conn)
        await conn.close()
        dsn_cm: contextlib.AbstractAsyncContextManager[str] = contextlib.nullcontext(args.reuse)
    else:
        dsn_cm = database()
    async with dsn_cm as dsn:
        pool = await create_pool(dsn, max_size=1)
        async with pool.acquire() as conn:
            if not await demo.has_platform_rows(conn):
                started = time.perf_counter()
                counts = await demo.fill(conn, demo.DemoPlan(args.users, args.events))
                print(f"demo data: {counts} in {time.perf_counter() - started:.1f} s")
            sizes = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                     for t in demo.PLATFORM_TABLES}
        await pool.close()
        print(f"platform tables: {sizes}")
        yield dsn


async def catch_up(dsn: str) -> None:
    """Bring the summaries up to date (the first start after a big import does this once)."""
    pool = await create_pool(dsn, max_size=2)
    started = time.perf_counter()
    read = 0
    while True:
        batch = await summaries.refresh(pool, TZ, max_batches=1000)
        read += batch
        if not batch:
            break
    took = time.perf_counter() - started
    started = time.perf_counter()
    recounted = await summaries.recount_bookings(pool, TZ, max_age=0)
    recount = time.perf_counter() - started
    await pool.close()
    print(f"summaries: {read:,} new rows read in {took:.1f} s; bookings recounted "
          f"({recounted}) in {recount * 1000:.0f} ms (done by the job when bookings change)")


def figures(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95
