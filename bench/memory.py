"""Peak memory of the process delivering a broadcast: 200,000 recipients against 20,000,
at the paid pace, the bot running as its own process. The difference should stay under 30 MB
(recipients are read in pages, so memory should not grow with the audience).

    .venv/bin/python -m bench.memory [--small 20000] [--large 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import psutil

from bench.common import STREAM, EmulatorProcess, add_members, database
from bench.crash import start_bot
from bot.loop import run_main
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.pool import create_pool


async def peak_rss(recipients: int) -> tuple[float, float, dict[str, int]]:
    async with database() as dsn, EmulatorProcess(latency=0.05) as emulator:
        await add_members(dsn, recipients)
        pool = await create_pool(dsn, max_size=2)
        bot = await start_bot(dsn, emulator)
        process = psutil.Process(bot.pid)
        await asyncio.sleep(4)  # started, idle
        idle = process.memory_info().rss
        broadcast_id, _ = await db.create(pool, Content("text", "Привет, {first_name}!"),
                                       Audience("stream", stream=STREAM), 1,
                                       allow_paid_broadcast=True)
        await db.start(pool, broadcast_id)
        peak = idle
        while (await db.get(pool, broadcast_id)).status != "done":  # type: ignore[union-attr]
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.1)
        counts = await db.status_counts(pool, broadcast_id)
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        await pool.close()
        return idle / 2**20, peak / 2**20, counts


async def main(small: int, large: int) -> None:
    results = {}
    for size in (small, large):
        idle, peak, counts = await peak_rss(size)
        results[size] = peak
        print(f"{size:,} recipients: RSS idle {idle:.1f} MB, peak while sending {peak:.1f} MB, "
              f"statuses {counts}")
    print(f"peak difference {results[large] - results[small]:+.1f} MB (target under 30 MB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=200_000)
    args = parser.parse_args()
    run_main(main(args.small, args.large))
