"""A flood-wait storm in the middle of a free broadcast: the emulator (its own process, 50 ms
latency) refuses every send with retry_after for a while, then lets go. Prints how long the
engine took after the storm to be back at 0.9 of the limit (target ≤ 5 s), the pace it kept
after, the 429s it caused itself outside the storm (target 0) and breaches (target 0).

    .venv/bin/python -m bench.storm [--recipients 2400] [--storm 10] [--retry-after 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from aiohttp import ClientSession

from bench.common import ADMIN_TOKEN, STREAM, EmulatorProcess, add_members, database
from bot.loop import run_main
from bot.app import create_bot
from bot.config import Settings
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.pool import create_pool
from bot.views.broadcast import progress_view
from bot.metrics import Metrics
from bot.services.delivery.engine import DeliveryEngine, EngineConfig
from bot.services.limits import Budgets
from bot.views.broadcast import recall_report

LIMIT = 30
WINDOW = 1.0  # seconds over which the pace is read


async def run(args: argparse.Namespace) -> None:
    async with database() as dsn, EmulatorProcess(per_second=LIMIT) as emulator:
        await add_members(dsn, args.recipients)
        settings = Settings(_env_file=None, bot_token=ADMIN_TOKEN, telegram_api_url=emulator.url)
        budgets = Budgets()
        bot = create_bot(settings.bot_token, settings, budgets)  # type: ignore[arg-type]
        pool = await create_pool(dsn)
        engine = DeliveryEngine(pool, bot, bot, EngineConfig(rate=settings.broadcast_rate),
                                Metrics(), budgets.for_token(ADMIN_TOKEN),
                                render_progress=progress_view, render_recall_report=recall_report)
        engine.start()
        broadcast_id, _ = await db.create(pool, Content("text", "Урок в 19:00, {first_name}"),
                                          Audience("stream", stream=STREAM), 1)
        await db.start(pool, broadcast_id)
        engine.nudge()
        samples: list[tuple[float, int]] = []  # (time, messages delivered so far)
        storm_at = storm_end = None
        started = time.monotonic()
        while (await db.get(pool, broadcast_id)).status != "done":  # type: ignore[union-attr]
            now = time.monotonic()
            samples.append((now, (await emulator.stats())["sends_ok"]))
            if storm_at is None and now - started > args.before:
                storm_at, storm_end = now, now + args.storm
                async with ClientSession() as http:
                    await http.post(f"{emulator.url}/_emulator/storm", params={"token": ADMIN_TOKEN},
                                    json={"seconds": args.storm, "retry_after": args.retry_after})
            await asyncio.sleep(0.05)
        stats = await emulator.stats()
        await engine.stop()
        await pool.close()
        await bot.session.close()
    assert storm_end is not None, "the broadcast ended before the storm: give it more recipients"
    report(samples, storm_end, stats, args)


def pace_at(samples: list[tuple[float, int]], at: float) -> float:
    """Messages per second over the WINDOW that ends at `at`."""
    before = [n for t, n in samples if t <= at - WINDOW]
    now = [n for t, n in samples if t <= at]
    return (now[-1] - before[-1]) / WINDOW if before and now else 0.0


def report(samples: list[tuple[float, int]], storm_end: float, stats: dict,
           args: argparse.Namespace) -> None:
    recovered = next((t for t, _ in samples if t > storm_end and pace_at(samples, t) >= 0.9 * LIMIT),
                     None)
    after = [pace_at(samples, t) for t, _ in samples if recovered and t >= recovered + WINDOW]
    self_caused = stats["too_many_requests"] - stats["storm_refused"]
    took = f"{recovered - storm_end:.1f} s" if recovered else "never"
    print(f"storm of {args.storm:.0f} s with retry_after {args.retry_after}: back at 0.9 of the "
          f"limit {took} after it ended (target <= 5 s); pace after that: mean "
          f"{sum(after) / max(len(after), 1):.1f}/s, lowest {min(after, default=0):.1f}/s over "
          f"{WINDOW:.0f} s windows; 429s refused by the storm {stats['storm_refused']}, "
          f"caused by the pace {self_caused} (target 0), breaches {stats['breaches']} (target 0)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=2400)
    parser.add_argument("--before", type=float, default=8.0, help="seconds of sending before")
    parser.add_argument("--storm", type=float, default=10.0)
    parser.add_argument("--retry-after", type=int, default=5)
    run_main(run(parser.parse_args()))
