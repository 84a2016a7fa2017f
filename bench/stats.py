"""Statistics screens at scale. Each screen is timed end to end: a button pressed in the
emulator, the update through the bot's real webhook, the bot's queries, the edited message back
in the emulator (p50 / p95 over --rounds presses). In the same run, the same figures are computed
the way the old dashboard did, by plain SQL over the raw tables (database time only, which
flatters it), and both sets of numbers are compared.

    .venv/bin/python -m bench.stats                                # 50,000 users, 500,000 events
    .venv/bin/python -m bench.stats --users 1000000 --events 10000000
    .venv/bin/python -m bench.stats --reuse postgresql://…/db      # a database filled before
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bench.common import TZ, catch_up, data_arguments, figures, filled_database
from bench.stats_old import OLD_SCREENS, old_numbers
from bot.db import stats
from bot.db.pool import create_pool
from bot.handlers.stats import stats_screen
from bot.keyboards.stats import StatsCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, BotHarness, make_settings
from bot.text.periods import windows

# an order in which each press's button is on the message the previous press left
RING = (("overview", "7"), ("events", "7"), ("funnel", "7"), ("referrals", "7"),
        ("referrals", "all"), ("overview", "all"), ("events", "all"), ("funnel", "all"),
        ("streams", "all"), ("recent", "all"), ("overview", "all"))


async def bot_screens(dsn: str, rounds: int) -> dict[tuple[str, str], list[float]]:
    emulator = Emulator()
    emulator.add_bot(ADMIN_TOKEN, "hsl_admin_bot")
    await emulator.start()
    settings = make_settings(dsn, emulator.base_url, timezone=TZ, stats_refresh_seconds=60)
    harness = await BotHarness(emulator, settings).start()
    times: dict[tuple[str, str], list[float]] = {key: [] for key in RING}
    try:
        admin = harness.chat(ADMIN_ID)
        await admin.send("/stats")
        for _ in range(rounds):
            for screen, period in RING:
                data = StatsCallback(screen=screen, period=period).pack()
                started = time.perf_counter()
                await admin.click(data=data)
                times[(screen, period)].append(time.perf_counter() - started)
                assert admin.callback_answer()["answered"], "the bot did not answer the press"
    finally:
        await harness.stop()
        await emulator.stop()
    return times


async def bot_queries(dsn: str, rounds: int) -> dict[tuple[str, str], list[float]]:
    """The bot's own work for each screen without Telegram: its queries and the text."""
    pool = await create_pool(dsn, max_size=2)
    settings = make_settings(dsn, "http://127.0.0.1:9", timezone=TZ)
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(rounds):
            for key in dict.fromkeys(RING):
                started = time.perf_counter()
                await stats_screen(pool, settings, key[0], key[1], ADMIN_ID)
                times.setdefault(key, []).append(time.perf_counter() - started)
    finally:
        await pool.close()
    return times


async def old_screens(dsn: str, rounds: int) -> dict[tuple[str, str], list[float]]:
    pool = await create_pool(dsn, max_size=2)
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(rounds):
            for key in dict.fromkeys(RING):
                window, _ = windows(key[1], ZoneInfo(TZ), datetime.now(UTC))
                started = time.perf_counter()
                for sql, args in OLD_SCREENS[key[0]](window):
                    await pool.fetch(sql, *args)
                times.setdefault(key, []).append(time.perf_counter() - started)
    finally:
        await pool.close()
    return times


async def same_numbers(dsn: str) -> list[str]:
    """Where the bot's figures and the old dashboard's plain SQL differ (empty: nowhere)."""
    pool = await create_pool(dsn, max_size=2)
    differences = []
    try:
        for period in ("7", "all"):
            window, _ = windows(period, ZoneInfo(TZ), datetime.now(UTC))
            old = await old_numbers(pool, window)
            overview = await stats.overview(pool, window, None)
            ours = {
                "users": overview.users, "new_users": overview.current.new_users,
                "bookings": {k: v for k, v in overview.current.bookings.items() if v},
                "registrations": overview.current.registrations,
                "attendances": overview.current.attendances,
                "streams": {s.code: (s.total, s.confirmed, s.pending, s.cancelled)
                            for s in await stats.stream_bookings(pool)},
                "funnel": {f.lesson_type: (f.registrations, f.attendances)
                           for f in await stats.funnel(pool, window)},
                "top_events": dict(await stats.top_events(pool, window, limit=100)),
                "referrals": {r.code: (r.bookings, r.confirmed)
                              for r in await stats.referrals(pool, window, limit=100)},
            }
            differences += [f"{period}: {key}: bot {ours[key]} != old {old[key]}"
                            for key in old if ours[key] != old[key]]
    finally:
        await pool.close()
    return differences


async def main() -> None:
    parser = data_arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="presses of each screen")
    parser.add_argument("--old-rounds", type=int, default=5, help="runs of the old SQL")
    args = parser.parse_args()
    async with filled_database(args) as dsn:
        await catch_up(dsn)
        bot = await bot_screens(dsn, args.rounds)
        queries = await bot_queries(dsn, args.rounds)
        old = await old_screens(dsn, args.old_rounds)
        differences = await same_numbers(dsn)
    print("\nms; bot: a press end to end (webhook, queries, edit in the emulator); bot SQL: its"
          " queries and text alone; old: the old dashboard's SQL alone")
    print(f"{'screen':<17}{'bot p50':>9}{'bot p95':>9}{'SQL p50':>9}{'old p50':>9}{'old p95':>9}"
          f"{'old/SQL':>9}{'old/bot':>9}")
    for key in dict.fromkeys(RING):
        (b50, b95), (q50, _), (o50, o95) = (figures(bot[key]), figures(queries[key]),
                                            figures(old[key]))
        print(f"{key[0] + ' · ' + key[1]:<17}{b50 * 1000:>9.1f}{b95 * 1000:>9.1f}{q50 * 1000:>9.1f}"
              f"{o50 * 1000:>9.1f}{o95 * 1000:>9.1f}{o50 / q50:>8.1f}x{o50 / b50:>8.1f}x")
    worst = max(figures(samples)[1] for samples in bot.values())
    print(f"\nworst bot p95 end to end: {worst * 1000:.1f} ms (target < 100 ms)")
    print("same numbers: " + ("yes" if not differences else "NO\n  " + "\n  ".join(differences)))


if __name__ == "__main__":
    asyncio.run(main())
