"""`python -m bot run` as a process, tried the way a new user would: settings in the
environment, Telegram played by the emulator, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, MENU, STRANGER_ID, WEBHOOK_SECRET
from processes import START_TIMEOUT, BotProcess, _env
from support import wait_until

# `python -m bot` child processes spend seconds of CPU importing at start: the modules that
# start them run in two xdist groups (--dist=loadgroup), so at most two start at once and
# their start-up timeouts hold on two busy cores
pytestmark = pytest.mark.xdist_group("processes-a")


async def test_without_a_token_it_stops_with_one_clear_line() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env={"PATH": os.environ.get("PATH", "")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(proc.communicate(), START_TIMEOUT)
    lines = stderr.decode().strip().splitlines()
    assert proc.returncode == 2
    assert lines == ["Configuration error: BOT_TOKEN is not set: get a token from @BotFather "
                     "and set BOT_TOKEN in the environment or in .env"]


async def test_webhook_mode_serves_admin_and_ignores_stranger_then_stops_cleanly(
        emulator: Emulator, database_url: str, running: list[BotProcess]) -> None:
    process = BotProcess(_env(emulator, database_url, LOG_LEVEL="DEBUG"))
    process.env["WEBHOOK_BASE_URL"] = f"http://127.0.0.1:{process.port}"
    running.append(process)
    await process.start()
    health = await process.wait_healthy()
    assert health.pop("delivery") in ("leader", "standby")  # it takes the lead a moment later
    assert health == {"status": "ok", "mode": "webhook", "database": "ok"}

    assert (await emulator.send_text(ADMIN_TOKEN, ADMIN_ID, "/start")).status == 200
    assert (await emulator.send_text(ADMIN_TOKEN, STRANGER_ID, "/stats")).status == 200
    await wait_until(lambda: emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID))
    menu = emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID)[0]
    assert [b["text"] for b in menu.buttons()] == MENU

    # an update still being handled when SIGTERM arrives is finished, not dropped
    emulator.bot(ADMIN_TOKEN).faults.latency = 1.0
    await emulator.press(ADMIN_TOKEN, ADMIN_ID, "📚 Потоки")
    await asyncio.sleep(0.2)
    assert await process.stop() == 0
    assert "Потоки курса" in emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID)[0].text
    assert emulator.bot_messages(ADMIN_TOKEN, STRANGER_ID) == []

    log = process.stderr.decode()
    assert "update_id=" in log and f"user_id={ADMIN_ID}" in log and "duration_ms=" in log
    assert "handler=start" in log
    assert f"user_id={STRANGER_ID}" in log and "outcome=unhandled" in log  # debug line
    for secret in (ADMIN_TOKEN, WEBHOOK_SECRET, ADMIN_TOKEN.split(":")[1]):
        assert secret not in log
    assert "Traceback" not in log


async def test_polling_mode_answers_through_get_updates(
        emulator: Emulator, database_url: str, running: list[BotProcess]) -> None:
    process = BotProcess(_env(emulator, database_url))
    running.append(process)
    await process.start()
    assert (await process.wait_healthy())["mode"] == "polling"
    assert emulator.bot(ADMIN_TOKEN).webhook.url == ""
    await emulator.send_text(ADMIN_TOKEN, ADMIN_ID, "/menu")
    await wait_until(lambda: emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID))
    assert emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID)[0].text.startswith("Главное меню")
    assert await process.stop() == 0


async def test_embedded_database_keeps_data_between_runs_and_stops(
        emulator: Emulator, running: list[BotProcess], tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    for attempt in range(2):
        process = BotProcess(_env(emulator, None, EMBEDDED_PG_DIR=str(data_dir)))
        running.append(process)
        await process.start()
        assert (await process.wait_healthy())["database"] == "ok"
        assert await process.stop() == 0
        assert not (data_dir / "postmaster.pid").exists()  # the server was stopped
        log = process.stderr.decode()
        if attempt == 0:
            assert "applied migration 0001" in log
        else:
            assert "applied migration" not in log  # the data (and schema) was kept


@pytest.mark.parametrize("override, expected", [
    ({"BOT_TOKEN": "123:" + "Q" * 35}, "BOT_TOKEN was refused by Telegram (Unauthorized): check the token"),
    ({"DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none"}, "DATABASE_URL: cannot connect (ConnectionRefusedError)"),
])
async def test_startup_failures_are_one_line(emulator: Emulator, database_url: str,
                                             override: dict[str, str], expected: str) -> None:
    process = BotProcess({**_env(emulator, database_url), **override})
    await process.start()
    code = await process.finish()
    assert code == 2
    assert process.stderr.decode().strip().splitlines()[-1] == f"Configuration error: {expected}"
    assert "Traceback" not in process.stderr.decode()
