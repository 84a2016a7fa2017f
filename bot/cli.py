"""Commands other than `run`: they open the database, do one thing, and report it."""

from __future__ import annotations

import time

from bot.config import ConfigError, Settings
from bot.db import demo
from bot.db.lifecycle import open_database
from bot.db.migrate import apply_migrations


async def migrate(settings: Settings) -> None:
    async with open_database(settings, migrate=False) as pool:
        async with pool.acquire() as conn:
            applied = await apply_migrations(conn)
    if applied:
        for migration in applied:
            print(f"applied {migration.version:04d}_{migration.name}")
    else:
        print("nothing to apply: the schema is up to date")


async def demo_data(settings: Settings, users: int, events: int | None, seed: int,
                    replace: bool) -> None:
    if users < 1:
        raise ConfigError("--users must be at least 1")
    events = users * 10 if events is None else events
    async with open_database(settings, max_size=2) as pool:
        async with pool.acquire() as conn:
            if not replace and await demo.has_platform_rows(conn):
                raise ConfigError(
                    "the platform's tables already hold rows; add --replace to empty them first"
                )
            started = time.perf_counter()
            counts = await demo.fill(conn, demo.DemoPlan(users, events, seed), replace=replace)
    took = time.perf_counter() - started
    summary = ", ".join(f"{name}: {count:,}" for name, count in counts.items())
    print(f"demo data ({took:.1f} s, seed {seed}): {summary}")
