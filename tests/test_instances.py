"""Two `python -m bot run` processes behind one webhook address (a round-robin proxy, as a
reverse proxy would be), FSM state in Redis: an admin's composition hops between them, and a
scheduled and a running broadcast go on when one of them stops."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable

import asyncpg
import pytest
from aiohttp import ClientError, ClientSession, web

from bot.db import broadcasts as db
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, free_socket
from support import add_members, sends_to, wait_status, wait_until
from processes import BotProcess, _env

# `python -m bot` child processes spend seconds of CPU importing at start: the modules that
# start them run in two xdist groups (--dist=loadgroup), so at most two start at once and
# their start-up timeouts hold on two busy cores
pytestmark = pytest.mark.xdist_group("processes-b")

REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_url() -> AsyncIterator[str]:  # type: ignore[misc]
    """TEST_REDIS_URL, or a private redis-server on a free port (nothing kept on disk)."""
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    if REDIS is None:
        pytest.skip("redis-server is not installed (scripts/test installs it) and "
                    "TEST_REDIS_URL is not set")
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


class RoundRobin:
    """One webhook address in front of several bots: each update goes to the next one that
    answers (a stopped instance is skipped, as a proxy's health check would)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = itertools.count()
        self.served: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        for _ in range(len(self.backends)):
            backend = self.backends[next(self.turn) % len(self.backends)]
            try:
                async with ClientSession() as http, http.post(
                        backend + request.path, data=body, headers={
                            **headers, "Content-Type": "application/json"}) as response:
                    self.served.append(backend)
                    return web.Response(status=response.status, body=await response.read())
            except ClientError:
                continue
        return web.Response(status=502)


@pytest.fixture
async def balancer() -> AsyncIterator[tuple[RoundRobin, str]]:
    proxy = RoundRobin([])
    app = web.Application()
    app.router.add_post("/{path:.*}", proxy.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = free_socket()
    site = web.SockSite(runner, sock)
    await site.start()
    yield proxy, f"http://127.0.0.1:{sock.getsockname()[1]}"
    await runner.cleanup()


def seen(emulator: Emulator, text: str) -> int:
    """How many of the admin's messages (as they are now) contain this text."""
    return sum(text in m.text for m in emulator.bot_messages(ADMIN_TOKEN, ADMIN_ID))


async def step(emulator: Emulator, action: Awaitable[object], expect: str) -> None:
    """Write or press, then wait for one more message saying `expect` (new or edited)."""
    before = seen(emulator, expect)
    await action
    await wait_until(lambda: seen(emulator, expect) > before)


async def compose(emulator: Emulator, text: str) -> None:
    """/broadcast to the 4th stream with this text, up to the summary."""
    await step(emulator, emulator.send_text(ADMIN_TOKEN, ADMIN_ID, "/broadcast"), "Кому отправить")
    await step(emulator, emulator.press(ADMIN_TOKEN, ADMIN_ID, "4-й поток · 40"),
               "Пришлите сообщение")
    await step(emulator, emulator.send_text(ADMIN_TOKEN, ADMIN_ID, text), "Проверьте рассылку")


async def start_instance(emulator: Emulator, database_url: str, redis_url: str, proxy_url: str,
                         proxy: RoundRobin, running: list[BotProcess]) -> BotProcess:
    process = BotProcess(_env(emulator, database_url, REDIS_URL=redis_url, LOG_LEVEL="WARNING",
                              WEBHOOK_BASE_URL=proxy_url, BROADCAST_PROGRESS_SECONDS="0.5"))
    running.append(process)
    await process.start()
    await process.wait_healthy()
    proxy.backends.append(process.url)
    return process


async def leader(processes: list[BotProcess]) -> BotProcess:
    """The instance delivering broadcasts (the others stand by)."""
    for _ in range(100):
        async with ClientSession() as http:
            for process in processes:
                async with http.get(process.url + "/healthz") as response:
                    if (await response.json()).get("delivery") == "leader":
                        return process
        await asyncio.sleep(0.1)
    pytest.fail("no instance leads delivery")


async def stop(process: BotProcess, proxy: RoundRobin) -> None:
    proxy.backends.remove(process.url)
    assert await process.stop() == 0


async def test_two_instances_share_a_flow_and_survive_one_stopping(
        emulator: Emulator, database_url: str, pool: asyncpg.Pool, redis_url: str,
        balancer: tuple[RoundRobin, str], running: list[BotProcess]) -> None:
    proxy, proxy_url = balancer
    members = await add_members(pool, 40)
    first = await start_instance(emulator, database_url, redis_url, proxy_url, proxy, running)
    second = await start_instance(emulator, database_url, redis_url, proxy_url, proxy, running)

    # a composition whose steps land on alternate instances: the draft lives in Redis
    await compose(emulator, "Первое, {first_name}")
    await step(emulator, emulator.press(ADMIN_TOKEN, ADMIN_ID, "🕒 Запланировать"),
               "Когда отправить")
    await step(emulator, emulator.send_text(ADMIN_TOKEN, ADMIN_ID, "через 2 часа"),
               "запланирована на")
    assert set(proxy.served) == {first.url, second.url}

    # the scheduled broadcast falls due after one instance has stopped
    scheduled = await pool.fetchval("SELECT max(id) FROM message_history")
    await stop(await leader([first, second]), proxy)
    await pool.execute("UPDATE message_history SET scheduled_at = now() WHERE id = $1", scheduled)
    await wait_status(pool, scheduled, "done")
    survivor = second if second.proc.returncode is None else first  # type: ignore[union-attr]

    # a running broadcast whose leader stops half-way is finished by the other instance
    third = await start_instance(emulator, database_url, redis_url, proxy_url, proxy, running)
    await compose(emulator, "Второе, {first_name}")
    emulator.bot(ADMIN_TOKEN).faults.latency = 0.05  # about 1.5 s for 40 recipients
    await emulator.press(ADMIN_TOKEN, ADMIN_ID, "🚀 Отправить сейчас")
    running_id = await wait_until(lambda: pool.fetchval(  # the press is handled in a moment
        "SELECT id FROM message_history WHERE message_text LIKE 'Второе%'"), 20)
    await wait_until(lambda: 5 <= sum("Второе" in m.text for u in members
                                 for m in emulator.bot_messages(ADMIN_TOKEN, u)), 20)
    await stop(await leader([survivor, third]), proxy)
    done = await wait_status(pool, running_id, "done", timeout=60)
    counts = await db.status_counts(pool, running_id)
    assert counts.get("sent", 0) + counts.get("unknown", 0) == 40
    per_member = {u: sum("Второе" in m.text for m in emulator.bot_messages(ADMIN_TOKEN, u))
                  for u in members}
    assert set(per_member.values()) <= {0, 1}  # never twice
    assert sum(per_member.values()) >= done.sent  # and everyone marked sent got it
    assert all(n == 1 for u, n in per_member.items()) or counts.get("unknown", 0) > 0
    assert sends_to(emulator, ADMIN_TOKEN)[members[0]] == 2  # the scheduled one and this one
