"""What the benchmarks share: a database, an emulator process, members to send to."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from aiohttp import ClientError, ClientSession

from bot.db.embedded import EmbeddedPostgres
from bot.db.migrate import apply_migrations
from bot.db.pool import create_pool

ADMIN_TOKEN = "1000001:" + "A" * 35
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
                 latency: float = 0.05) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["--token", ADMIN_TOKEN, "--port", str(self.port), "--per-second",
                     str(per_second), "--paid-per-second", str(paid_per_second),
                     "--latency", str(latency)]
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> EmulatorProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.sandbox", *self.args, stdout=asyncio.subprocess.DEVNULL)
        for _ in range(200):
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

    async def stats(self) -> dict:
        async with ClientSession() as http:
            async with http.get(f"{self.url}/_emulator/stats", params={"token": ADMIN_TOKEN}) as r:
                r.raise_for_status()
                return await r.json()
