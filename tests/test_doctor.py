"""`python -m bot doctor`: every line says ok or what to fix; nothing secret is printed."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.db.migrate import load_migrations
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_TOKEN, BROADCAST_TOKEN


async def _doctor(env: dict[str, str]) -> tuple[int, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert ADMIN_TOKEN not in out.decode() + err.decode()
    return proc.returncode, out.decode().splitlines()  # type: ignore[return-value]


async def test_all_ok(emulator: Emulator, database_url: str) -> None:
    emulator.bot(ADMIN_TOKEN).webhook.url = "https://bot.example.org/telegram/webhook"
    code, lines = await _doctor({
        "BOT_TOKEN": ADMIN_TOKEN, "BROADCAST_BOT_TOKEN": BROADCAST_TOKEN, "ADMIN_IDS": "1,2",
        "DATABASE_URL": database_url, "TELEGRAM_API_URL": emulator.base_url,
        "WEBHOOK_BASE_URL": "https://bot.example.org"})
    assert code == 0, lines
    assert all(line.startswith("ok ") for line in lines), lines
    text = "\n".join(lines)
    assert "database: PostgreSQL" in text
    assert f"migrations: {len(load_migrations())} applied, none pending" in text
    assert "table events: 0 rows" in text
    assert "admin bot: @hsl_admin_bot" in text and "broadcast bot: @hsl_course_bot" in text
    assert "webhook: url https://bot.example.org/telegram/webhook, 0 pending updates" in text


async def test_problems_say_what_to_fix(emulator: Emulator, empty_database_url: str) -> None:
    code, lines = await _doctor({
        "BOT_TOKEN": "42:" + "W" * 35, "DATABASE_URL": empty_database_url,
        "TELEGRAM_API_URL": emulator.base_url})
    assert code == 1
    fixes = {line.split(":")[0].removeprefix("FIX ").strip(): line for line in lines
             if line.startswith("FIX")}
    assert "list the admins' Telegram user ids" in fixes["ADMIN_IDS"]
    assert "run `python -m bot migrate`" in fixes["migrations"]
    assert "missing: run `python -m bot migrate`" in fixes["table bookings"]
    assert "token refused (Unauthorized): check the token" in fixes["admin bot"]
