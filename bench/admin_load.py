"""The admin bot under load, through the real webhook and the emulator (50 ms latency, the
bot and the emulator in one process): bursts of commands and presses, a crowd of strangers,
and a broadcast through the same bot while the admin browses. Prints, for each burst:
answered, lost, 429s, breaches, apologies, and the admin's p95 from press to screen.

    .venv/bin/python -m bench.admin_load [--strangers 1000] [--updates 1000] [--recipients 3000]
                                           [--only stats charts strangers updates broadcast]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bench.common import database, figures
from bot.loop import run_main
from bot.app import WEBHOOK_KEY
from bot.db import demo
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.pool import create_pool
from bot.views.errors import apology
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, BotHarness, make_settings

LATENCY = 0.05
STREAM = "4th_stream"


@dataclass
class Run:
    harness: BotHarness
    emulator: Emulator
    calls_before: int = 0
    menu_id: int = 0  # the message /start drew the menu on

    def menu_text(self) -> str:
        return self.emulator.bot(ADMIN_TOKEN).chats[ADMIN_ID].messages[self.menu_id].text or ""

    def texts(self) -> list[str]:
        return [m.text or m.caption or "" for m in self.emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID)]

    def too_many(self) -> int:
        return sum(1 for c in self.emulator.calls[self.calls_before:] if c.error_code == 429)

    def breaches(self) -> int:
        return self.emulator.bot(ADMIN_TOKEN).limits.breaches


@asynccontextmanager
async def bot_on(dsn: str, **overrides: object) -> AsyncIterator[Run]:
    emulator = Emulator()
    emulator.add_bot(ADMIN_TOKEN, "hsl_admin_bot")
    await emulator.start()
    emulator.bot(ADMIN_TOKEN).faults.latency = LATENCY
    # the broadcast measured goes out whole at once: no canary first
    overrides.setdefault("canary_min_audience", "off")
    harness = await BotHarness(emulator, make_settings(dsn, emulator.base_url, **overrides)).start()
    try:
        run = Run(harness, emulator)
        await harness.chat(ADMIN_ID).send("/start")
        run.menu_id = harness.chat(ADMIN_ID).last().message_id
        run.calls_before = len(emulator.calls)
        yield run
    finally:
        await harness.stop()
        await emulator.stop()


def report(name: str, run: Run, answered: int, expected: int, latencies: list[float]) -> None:
    p95 = figures(latencies)[1] if latencies else float("nan")
    apologies = sum(apology() in t for t in run.texts())
    print(f"{name}: answered {answered}/{expected}, lost {expected - answered}, "
          f"429s {run.too_many()}, breaches {run.breaches()}, apologies {apologies}, "
          f"admin p95 {p95:.2f} s", flush=True)


async def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def arrivals(run: Run, count: int, before: int, started: float, timeout: float) -> list[float]:
    """Seconds from `started` until each of `count` new admin messages arrived."""
    seen: list[float] = []
    deadline = time.perf_counter() + timeout
    while len(seen) < count and time.perf_counter() < deadline:
        now = len(run.emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID)) - before
        seen += [time.perf_counter() - started] * max(0, now - len(seen))
        await asyncio.sleep(0.01)
    return seen


async def stats_burst(dsn: str, count: int = 20) -> None:
    async with bot_on(dsn) as run:
        before, started = len(run.texts()), time.perf_counter()
        await asyncio.gather(*(run.emulator.send_text(ADMIN_TOKEN, ADMIN_ID, "/stats")
                               for _ in range(count)))
        latencies = await arrivals(run, count, before, started, timeout=count * 3 + 10)
        await run.harness.settle()
        report(f"{count} /stats back to back", run, len(latencies), count, latencies)


async def chart_presses(dsn: str) -> None:
    async with bot_on(dsn) as run:
        await run.harness.chat(ADMIN_ID).send("/stats")
        before, started, sent_at = len(run.texts()), time.perf_counter(), []
        for label in ("📈 Рост", "🎫 Брони", "🖱 События") * 3:
            sent_at.append(time.perf_counter() - started)
            await run.emulator.press(ADMIN_TOKEN, ADMIN_ID, label)
            await asyncio.sleep(0.25)
        done = await arrivals(run, 9, before, started, timeout=40)
        await run.harness.settle()
        report("9 chart presses at 0.25 s", run, len(done), 9,
               [d - s for d, s in zip(done, sent_at)])


async def browse(run: Run, until: Callable[[], bool], gap: float = 0.5,
                 rounds: int | None = None) -> tuple[int, int, list[float]]:
    """The admin goes back and forth between the menu and the status screen; returns how
    many screens were asked for, how many came, and how long each took."""
    steps = (("🩺 Состояние", lambda t: "PostgreSQL" in t), ("⬅️ Меню", lambda t: t.startswith("Главное меню")))
    asked = shown = 0
    latencies: list[float] = []
    while not until() and (rounds is None or asked < rounds):
        label, expected = steps[asked % 2]
        asked += 1
        started = time.perf_counter()
        await run.emulator.press(ADMIN_TOKEN, ADMIN_ID, label, message_id=run.menu_id)
        if await wait_until(lambda: expected(run.menu_text()), timeout=15):
            shown += 1
            latencies.append(time.perf_counter() - started)
        await asyncio.sleep(gap)
    return asked, shown, latencies


async def strangers_flood(dsn: str, count: int) -> None:
    async with bot_on(dsn) as run:
        strangers = range(800_000, 800_000 + count)
        for user_id in strangers:
            run.emulator.user(user_id, "Гость")
        flood = asyncio.gather(*(run.emulator.send_text(ADMIN_TOKEN, u, "/start") for u in strangers))
        asked, shown, latencies = await browse(run, lambda: False, rounds=12)
        await flood
        await run.harness.settle()
        guests = sum(1 for u in strangers if run.emulator.bot_messages(ADMIN_TOKEN, u))
        report(f"{count:,} strangers /start while the admin browses ({guests} strangers answered)",
               run, shown, asked, latencies)


async def admin_updates(dsn: str, count: int) -> None:
    async with bot_on(dsn) as run:
        await run.emulator.press(ADMIN_TOKEN, ADMIN_ID, "📚 Потоки")
        await run.harness.settle()
        started = time.perf_counter()
        deliveries = await asyncio.gather(*(run.emulator.press(ADMIN_TOKEN, ADMIN_ID, "🔄 Обновить")
                                            for _ in range(count)))
        await run.harness.app[WEBHOOK_KEY].drain(timeout=300)  # every press handled
        took = time.perf_counter() - started
        bot = run.emulator.bot(ADMIN_TOKEN)
        answered = sum(1 for d in deliveries if bot.callback_queries.get(d.callback_query_id or "", {})
                       .get("answered"))
        edits = sum(1 for c in run.emulator.calls[run.calls_before:] if c.method == "editMessageText")
        report(f"{count:,} admin presses at once ({edits} edits sent, all answered in {took:.1f} s)",
               run, answered, count, [])


async def shared_broadcast(dsn: str, recipients: int) -> None:
    pool = await create_pool(dsn, max_size=2)
    await pool.execute("DELETE FROM bookings WHERE user_id >= 5000000")
    await pool.copy_records_to_table(
        "bookings", columns=["user_id", "username", "first_name", "course_id", "course_stream",
                             "confirmed"],
        records=[(i, f"u{i}", "Маша", 1, STREAM, 2) for i in range(5_000_000, 5_000_000 + recipients)])
    await pool.close()
    async with bot_on(dsn) as run:
        service = run.harness.dispatcher["broadcasts"]
        engine_pool = run.harness.dispatcher["pool"]
        launch = await service.launch(Content("text", "Привет, {first_name}!"),
                                      Audience("stream", stream=STREAM), ADMIN_ID)
        broadcast_id, started = launch.broadcast.id, time.perf_counter()
        finished = asyncio.Event()

        async def watch() -> None:
            while (await engine_pool.fetchval("SELECT status FROM message_history WHERE id = $1",
                                              broadcast_id)) == "sending":
                await asyncio.sleep(0.2)
            finished.set()

        watcher = asyncio.create_task(watch())
        asked, shown, latencies = await browse(run, finished.is_set)
        await watcher
        took = time.perf_counter() - started
        sent = await engine_pool.fetchval("SELECT count(*) FROM message_recipients WHERE"
                                          " message_id = $1 AND delivery_status = 'sent'", broadcast_id)
        admin_sends = sum(1 for c in run.emulator.calls[run.calls_before:]
                          if c.ok and c.method.startswith("send") and c.params.get("chat_id") == ADMIN_ID)
        left = 30 - admin_sends / took
        rate = sent / took
        report(f"{recipients:,}-recipient broadcast, one bot, admin browsing: {sent} sent in "
               f"{took:.1f} s, {rate:.1f}/s = {rate / left:.2f} of the {left:.1f}/s the admin "
               f"left", run, shown, asked, latencies)


async def main(args: argparse.Namespace) -> None:
    async with database() as dsn:
        pool = await create_pool(dsn, max_size=1)
        async with pool.acquire() as conn:
            await demo.fill(conn, demo.DemoPlan(2_000, 20_000))
        await pool.close()
        runs = {"stats": lambda: stats_burst(dsn), "charts": lambda: chart_presses(dsn),
                "strangers": lambda: strangers_flood(dsn, args.strangers),
                "updates": lambda: admin_updates(dsn, args.updates),
                "broadcast": lambda: shared_broadcast(dsn, args.recipients)}
        for name in args.only or runs:
            await runs[name]()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--strangers", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--only", nargs="*", choices=["stats", "charts", "strangers", "updates",
                                                      "broadcast"])
    run_main(main(parser.parse_args()))
