"""`python -m bot sandbox`: the whole product offline. Embedded PostgreSQL (demo data on the
first start), the emulator as Telegram, the bot in webhook mode against it, and a chat page in
the browser where you are the admin and can look into any student's chat."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.config import Settings
from bot.db import demo, summaries
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import BotHarness
from bot.sandbox.page import PAGE_KEY, SandboxPage, routes

log = logging.getLogger(__name__)

TOKEN = "1000001:" + "S" * 35  # the sandbox's own bot; Telegram never sees it
ADMIN_ID = 100
ADMIN_NAME = "Админ"
DEMO_USERS = 2_000


@dataclass
class Sandbox:
    emulator: Emulator
    harness: BotHarness
    page_url: str

    async def stop(self) -> None:
        await self.harness.stop()
        await self.emulator.stop()


SANDBOX_PG_DIR = Path(".data/sandbox")


def sandbox_settings(settings: Settings, keep_database: bool = False) -> Settings:
    """The settings with the sandbox's token, its admin unless ADMIN_IDS names admins, and an
    embedded database of its own (DATABASE_URL is ignored unless `keep_database`, and the data
    folder is .data/sandbox unless EMBEDDED_PG_DIR names one): demo data and test broadcasts
    must never reach the platform's real database."""
    update: dict[str, object] = {"bot_token": SecretStr(TOKEN), "broadcast_bot_token": None,
                                 "admin_ids": settings.admin_ids or (ADMIN_ID,)}
    if not keep_database:
        update["database_url"] = None
    if "embedded_pg_dir" not in settings.model_fields_set:
        update["embedded_pg_dir"] = SANDBOX_PG_DIR
    return settings.model_copy(update=update)


async def start_sandbox(settings: Settings, host: str = "127.0.0.1", port: int = 8081,
                        demo_users: int = DEMO_USERS, keep_database: bool = False) -> Sandbox:
    settings = sandbox_settings(settings, keep_database)
    admin_id = settings.admin_ids[0]
    emulator = Emulator(record_params=False)
    emulator.add_bot(TOKEN, "hsl_admin_bot")
    emulator.user(admin_id, ADMIN_NAME, "admin", "ru")
    page = SandboxPage(emulator, TOKEN, admin_id)
    base = await emulator.start(host, port, routes=routes(), app_keys={PAGE_KEY: page})
    harness = BotHarness(emulator, settings.model_copy(update={"telegram_api_url": base}))
    await harness.start()
    page.harness = harness
    pool = harness.dispatcher["pool"]
    async with pool.acquire() as conn:
        if not await demo.has_platform_rows(conn):
            log.info("first start: filling the platform's tables with demo data")
            await demo.fill(conn, demo.DemoPlan(demo_users, demo_users * 10))
    await summaries.refresh(pool, settings.timezone)
    return Sandbox(emulator, harness, f"{base}/")


async def serve(settings: Settings, host: str, port: int) -> None:
    if settings.database_url is not None:
        print("DATABASE_URL is ignored: the sandbox keeps its own embedded database.", flush=True)
    sandbox = await start_sandbox(settings, host, port)
    print(f"\nSandbox is ready: open {sandbox.page_url} in a browser.\n"
          "You are the admin; Telegram is played by a local emulator. Ctrl+C stops it.\n",
          flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await sandbox.stop()
