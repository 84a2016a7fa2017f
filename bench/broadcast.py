"""Broadcast delivery through the emulator (its own process, ~50 ms added latency):
the engine at the free limit, the old dashboard's loop on the same emulator, and the engine
with allow_paid_broadcast at 1000/s. Prints rate / limit, 429s, breaches, duplicates, lost.
`--edit N`: N delivered messages fixed in every chat (the emulator counting edits against the
limits, as Telegram does): the edits' rate / limit, 429s and breaches.

    .venv/bin/python -m bench.broadcast [--recipients 3000] [--old 300] [--paid 20000] [--edit 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from bench.common import ADMIN_TOKEN, STREAM, EmulatorProcess, add_members, database
from aiogram import Bot

from bot.loop import run_main
from bot.app import create_bot
from bot.config import Settings
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db import edits as edits_db
from bot.db import recall as recall_db
from bot.db.pool import create_pool
from bot.views.broadcast import progress_view
from bot.metrics import Metrics
from bot.services.delivery.engine import DeliveryEngine, EngineConfig
from bot.services.limits import Budgets
from bot.views import edit_sent
from bot.views.broadcast import recall_report
from bot.services.edits import request_edit

FREE_LIMIT, PAID_LIMIT = 30, 1000


async def start_engine(dsn: str, emulator: EmulatorProcess
                       ) -> tuple[DeliveryEngine, asyncpg.Pool, Bot, Budgets]:
    settings = Settings(_env_file=None, bot_token=ADMIN_TOKEN, telegram_api_url=emulator.url)
    budgets = Budgets(paid_rate=settings.broadcast_paid_rate)
    bot = create_bot(settings.bot_token, settings, budgets)  # type: ignore[arg-type]
    pool = await create_pool(dsn)
    engine = DeliveryEngine(pool, bot, bot, EngineConfig(rate=settings.broadcast_rate,
                                                         paid_rate=settings.broadcast_paid_rate),
                            Metrics(), budgets.for_token(ADMIN_TOKEN),
                            render_progress=progress_view, render_recall_report=recall_report,
                            render_edit=(edit_sent.progress, edit_sent.report))
    engine.start()
    return engine, pool, bot, budgets


async def send_all(pool: asyncpg.Pool, engine: DeliveryEngine, paid: bool) -> int:
    """A broadcast to the stream, sent to the end; its id."""
    broadcast_id, _ = await db.create(pool, Content("text", "Привет, {first_name}! Урок в 19:00"),
                                   Audience("stream", stream=STREAM), 1,
                                   allow_paid_broadcast=paid)
    await db.start(pool, broadcast_id)
    engine.nudge()
    while (await db.get(pool, broadcast_id)).status != "done":  # type: ignore[union-attr]
        await asyncio.sleep(0.2)
    return broadcast_id


async def engine_run(dsn: str, members: list[int], *, paid: bool, emulator: EmulatorProcess,
                     limit: int) -> None:
    engine, pool, bot, budgets = await start_engine(dsn, emulator)
    started, cpu, emulator_cpu = time.perf_counter(), time.process_time(), emulator.cpu_time()
    broadcast_id = await send_all(pool, engine, paid)
    took = time.perf_counter() - started
    # CPU per message: steadier than the rate on a machine shared with other work
    cpu = (time.process_time() - cpu) / len(members) * 1000
    emulator_cpu = (emulator.cpu_time() - emulator_cpu) / len(members) * 1000
    counts = await db.status_counts(pool, broadcast_id)
    stats = await emulator.stats()  # before the recall, whose report is a send too
    if not paid:
        await recall_run(pool, engine, broadcast_id, limit)
    await engine.stop()
    await pool.close()
    await bot.session.close()
    lost = len(members) - sum(counts.get(s, 0) for s in db.FINAL_STATUSES)
    label = "paid" if paid else "free"
    print(f"engine ({label}, {len(members):,} recipients, limit {limit}/s): "
          f"rate {stats['rate_per_second']:.1f}/s, rate/limit {stats['rate_per_second'] / limit:.3f}, "
          f"whole broadcast {took:.1f} s; 429s {stats['too_many_requests']}, "
          f"breaches {stats['breaches']}, duplicates {stats['chats_with_duplicates']}, "
          f"lost {lost}, statuses {counts}; CPU per message: bot {cpu:.3f} ms, "
          f"emulator {emulator_cpu:.3f} ms; answers held up on the way (counted again): "
          f"{budgets.for_token(ADMIN_TOKEN).late}")
    return stats["rate_per_second"]


async def recall_run(pool: asyncpg.Pool, engine: DeliveryEngine, broadcast_id: int,
                     limit: int) -> None:
    """Recall the broadcast just sent: deletes at the pace of sending, through the budget."""
    await recall_db.request_recall(pool, broadcast_id)
    started = time.perf_counter()
    while (await db.get(pool, broadcast_id)).recall_status != "done":  # type: ignore[union-attr]
        await asyncio.sleep(0.1)
    took = time.perf_counter() - started
    deleted = (await db.status_counts(pool, broadcast_id)).get("deleted", 0)
    print(f"recall ({deleted:,} deleted): {deleted / took:.1f}/s, rate/limit "
          f"{deleted / took / limit:.3f} (the engine looks for recalls every second)")


async def edit_run(count: int) -> None:
    """`count` delivered messages fixed in every chat; the emulator counts the edits against
    the bot's limit of 30/s, as Telegram does."""
    async with database() as dsn:
        await add_members(dsn, count)
        async with EmulatorProcess(per_second=FREE_LIMIT, count_edits=True) as emulator:
            engine, pool, bot, _ = await start_engine(dsn, emulator)
            broadcast_id = await send_all(pool, engine, paid=False)
            before = await emulator.stats()
            started = time.perf_counter()
            edit = await request_edit(pool, broadcast_id, 1, html="Привет, {first_name}! Урок в 20:00",
                                      buttons=None, links_base=None)
            assert not isinstance(edit, str), edit
            while (done := await edits_db.get(pool, edit.id)).status != "done":  # type: ignore[union-attr]
                await asyncio.sleep(0.1)
            took = time.perf_counter() - started
            stats = await emulator.stats()
            await engine.stop()
            await pool.close()
            await bot.session.close()
    rate = stats["edit_rate_per_second"]
    print(f"edit ({done.edited:,} of {done.total:,} copies edited, limit {FREE_LIMIT}/s): "  # type: ignore[union-attr]
          f"rate {rate:.1f}/s, rate/limit {rate / FREE_LIMIT:.3f}, whole run {took:.1f} s "
          f"(the engine looks for edits every second); 429s {stats['edit_too_many_requests']}, "
          f"breaches {stats['breaches'] - before['breaches']}, failed {done.failures}")  # type: ignore[union-attr]


async def old_design(members: list[int], emulator: EmulatorProcess) -> float:
    """The old dashboard: one message at a time, a one-second sleep after every ten."""
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    # a bare Bot, as the old dashboard had: no limiter of ours in front of it
    bot = Bot(ADMIN_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.url)))
    started = time.perf_counter()
    sent = 0
    for i, chat_id in enumerate(members):
        await bot.send_message(chat_id, "Привет! Урок в 19:00")
        sent += 1
        if (i + 1) % 10 == 0:
            await asyncio.sleep(1.0)
    took = time.perf_counter() - started
    await bot.session.close()
    rate = sent / took
    print(f"old design ({sent} recipients): rate {rate:.1f}/s, rate/limit {rate / FREE_LIMIT:.3f}")
    return rate


async def main(args: argparse.Namespace) -> None:
    if args.recipients:
        await free_runs(args)
    if args.edit:
        await edit_run(args.edit)
    if args.paid:
        async with database() as dsn:
            members = await add_members(dsn, args.paid)
            async with EmulatorProcess(per_second=FREE_LIMIT, paid_per_second=PAID_LIMIT) as emulator:
                await engine_run(dsn, members, paid=True, emulator=emulator, limit=PAID_LIMIT)


async def free_runs(args: argparse.Namespace) -> None:
    async with database() as dsn:
        members = await add_members(dsn, args.recipients)
        async with EmulatorProcess(per_second=FREE_LIMIT) as emulator:
            new_rate = await engine_run(dsn, members, paid=False, emulator=emulator, limit=FREE_LIMIT)
        async with EmulatorProcess(per_second=FREE_LIMIT) as emulator:
            old_rate = await old_design(list(range(5_000_000, 5_000_000 + args.old)), emulator)
        print(f"engine / old design: {new_rate / old_rate:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--old", type=int, default=300)
    parser.add_argument("--paid", type=int, default=20000)
    parser.add_argument("--edit", type=int, default=0, help="fix this many delivered messages")
    run_main(main(parser.parse_args()))
