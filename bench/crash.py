"""Crash in the middle of a broadcast: the bot runs as a process, is killed with SIGKILL
at 40 % and at 75 % of a broadcast to N recipients, started again, and the broadcast
finishes. Prints duplicates (target 0), lost (target 0), and the unknown ones: those marked
in flight at the kill (a request handed to the network), how many of them had the message, and
how many recipients were claimed ahead of the pace without a request (they are sent on resume).

    .venv/bin/python -m bench.crash [--recipients 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from bench.common import ADMIN_TOKEN, STREAM, EmulatorProcess, add_members, database, free_port
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.pool import create_pool


async def start_bot(dsn: str, emulator: EmulatorProcess) -> asyncio.subprocess.Process:
    env = {"PATH": os.environ.get("PATH", ""), "BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1",
           "DATABASE_URL": dsn, "TELEGRAM_API_URL": emulator.url, "WEB_HOST": "127.0.0.1",
           "WEB_PORT": str(free_port()), "LOG_LEVEL": "WARNING"}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env)


async def main(recipients: int, kill_at: float) -> None:
    async with database() as dsn, EmulatorProcess(per_second=30, latency=0.05) as emulator:
        members = await add_members(dsn, recipients)
        pool = await create_pool(dsn, max_size=2)
        broadcast_id, _ = await db.create(pool, Content("text", "Урок в 19:00, {first_name}"),
                                       Audience("stream", stream=STREAM), 1)
        await db.start(pool, broadcast_id)
        bot = await start_bot(dsn, emulator)
        while (await emulator.stats())["sends_ok"] < recipients * kill_at:
            await asyncio.sleep(0.05)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        await asyncio.sleep(0.3)  # requests on the wire reach the emulator
        in_flight = await pool.fetchval("SELECT count(*) FROM message_recipients WHERE"
                                        " message_id = $1 AND delivery_status = 'inflight'",
                                        broadcast_id)
        claimed = await pool.fetchval("SELECT count(*) FROM message_recipients WHERE"
                                      " message_id = $1 AND delivery_status = 'claimed'",
                                      broadcast_id)
        at_kill = await emulator.stats()
        recorded = await pool.fetchval("SELECT count(*) FROM message_recipients WHERE"
                                       " message_id = $1 AND delivery_status = 'sent'", broadcast_id)
        on_wire = at_kill["sends_ok"] - recorded  # delivered, result not written yet
        print(f"killed with SIGKILL at {kill_at:.0%}, after {at_kill['sends_ok']} messages; "
              f"{in_flight} recipients were marked in flight: {on_wire} had the message, "
              f"{in_flight - on_wire} had not (target: at most the requests between their mark "
              f"and the socket); {claimed} were claimed without a request")
        bot = await start_bot(dsn, emulator)
        while (await db.get(pool, broadcast_id)).status != "done":  # type: ignore[union-attr]
            await asyncio.sleep(0.2)
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        counts = await db.status_counts(pool, broadcast_id)
        await pool.close()
        stats = await emulator.stats()
        lost = len(members) - sum(counts.get(s, 0) for s in db.FINAL_STATUSES)
        print(f"recipients {len(members)}: statuses {counts}")
        print(f"duplicates {stats['chats_with_duplicates']} (target 0), lost {lost} (target 0), "
              f"unknown {counts.get('unknown', 0)} (target: = {in_flight} marked in flight); "
              f"chats reached {stats['chats_reached']}, breaches {stats['breaches']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=2000)
    args = parser.parse_args()
    for kill_at in (0.4, 0.75):
        asyncio.run(main(args.recipients, kill_at))
