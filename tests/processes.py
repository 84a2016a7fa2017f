"""`python -m bot run` as a child process, settings in its environment (tests only)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from aiohttp import ClientError, ClientSession

from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, WEBHOOK_SECRET, free_socket

# a hang guard, not a speed check: a cold `python -m bot` spends seconds of CPU importing
# aiogram, much longer while other tests and programs share the cores
START_TIMEOUT = 120


class BotProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr = b""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WEB_HOST": "127.0.0.1",
               "WEB_PORT": str(self.port), **self.env}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def wait_healthy(self) -> dict:
        assert self.proc is not None
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        async with ClientSession() as http:
            while asyncio.get_running_loop().time() < deadline:
                if self.proc.returncode is not None:
                    await self.finish()
                    pytest.fail(f"bot exited with {self.proc.returncode}: {self.stderr.decode()}")
                try:
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return await response.json()
                except ClientError:
                    pass
                await asyncio.sleep(0.1)
        pytest.fail("bot did not become healthy")

    async def stop(self) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.finish()

    async def finish(self) -> int:
        assert self.proc is not None
        _, stderr = await asyncio.wait_for(self.proc.communicate(), START_TIMEOUT)
        self.stderr += stderr
        return self.proc.returncode  # type: ignore[return-value]


def _env(emulator: Emulator, database_url: str | None, **extra: str) -> dict[str, str]:
    # quiet hours off: whether a broadcast may go must not depend on when the tests run
    env = {"BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": str(ADMIN_ID),
           "TELEGRAM_API_URL": emulator.base_url, "WEBHOOK_SECRET": WEBHOOK_SECRET,
           "QUIET_HOURS": "off", **extra}
    if database_url:
        env["DATABASE_URL"] = database_url
    return env
