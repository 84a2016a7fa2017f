"""Helpers several test modules share: members in a stream, launching a broadcast from code,
what the emulator delivered, and waiting for a condition instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg
import pytest

from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness, ChatClient
from bot.services.broadcasts import BroadcastService

STREAM = "4th_stream"
POLL = 0.05  # seconds between two looks at a condition

BOLD_AND_LINK = [{"type": "bold", "offset": 0, "length": 4},
                 {"type": "text_link", "offset": 20, "length": 5, "url": "https://vibe.example/lesson"}]
TEXT = "Урок переносится на 19:00"  # "Урок" in bold, "19:00" a link


async def wait_until(condition: Callable[[], object | Awaitable[object]], timeout: float = 20.0,
                     what: str = "the condition did not come true in time") -> object:
    """Look at `condition` (a function, or a coroutine function) until it is true; fail the
    test after `timeout` seconds. Returns the true value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what} (waited {timeout:g} s)")
        await asyncio.sleep(POLL)


class Clock:
    """The time the bot is told it is (create_app's clock: quiet hours, the canary's wait);
    a test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def unpace_chats(harness: BotHarness) -> None:
    """Lift Telegram's per-chat limit (about 1 message a second) for this bot's tokens, in the
    emulator and in the bot's own budget alike; the bot-wide limit (30/s) stays. Only for
    tests that are not about pacing: an admin walking through screens otherwise waits a
    second for nearly every message."""
    from bot.app import BUDGETS_KEY
    for token in {harness.token, harness.settings.broadcast_token.get_secret_value()}:  # type: ignore[union-attr]
        limits = harness.emulator.bot(token).limits.config
        limits.chat_per_second, limits.chat_burst = 1000.0, 1000
        budget = harness.app[BUDGETS_KEY].for_token(token)
        budget.chat_rate, budget.chat_burst = 1000.0, 1000


async def add_members(pool: asyncpg.Pool, count: int, *, start: int = 10_000,
                      stream: str = STREAM, first_name: str | None = "Маша") -> list[int]:
    ids = list(range(start, start + count))
    await pool.executemany(
        "INSERT INTO bookings (user_id, username, first_name, course_id, course_stream, confirmed)"
        " VALUES ($1, $2, $3, 1, $4, 2)",
        [(i, f"user{i}", first_name, stream) for i in ids])
    return ids


async def wait_status(pool: asyncpg.Pool, broadcast_id: int, status: str,
                      timeout: float = 30.0) -> db.Broadcast:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        broadcast = await db.get(pool, broadcast_id)
        assert broadcast is not None
        if broadcast.status == status:
            return broadcast
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"broadcast {broadcast_id} is {broadcast.status}, not {status}")
        await asyncio.sleep(POLL)


async def wait_recalled(pool: asyncpg.Pool, broadcast_id: int, timeout: float = 20.0) -> None:
    """Until the recall of this broadcast has finished."""
    async def recalled() -> bool:
        return (await db.get(pool, broadcast_id)).recall_status == "done"  # type: ignore[union-attr]
    await wait_until(recalled, timeout, f"the recall of broadcast {broadcast_id} did not finish")


def sends_to(emulator: Emulator, token: str) -> Counter[int]:
    """How many messages each chat received from this bot (requests that succeeded)."""
    bot = emulator.bot(token)
    return Counter(chat_id for chat_id, chat in bot.chats.items()
                   for m in chat.messages.values() if m.from_bot)


def service(harness: BotHarness) -> BroadcastService:
    return harness.dispatcher["broadcasts"]


async def launch_text(harness: BotHarness, html: str, audience: Audience | None = None,
                      **kwargs: object) -> db.Broadcast:
    launched = await service(harness).launch(Content("text", html), audience or Audience(
        "stream", stream=STREAM), ADMIN_ID, **kwargs)  # type: ignore[arg-type]
    return launched.broadcast


async def compose_to_stream(harness: BotHarness, emulator: Emulator, stream_button: str,
                            text: str = TEXT, entities=BOLD_AND_LINK) -> ChatClient:  # type: ignore[no-untyped-def]
    """/broadcast, pick the stream, write the message: up to the summary."""
    admin = harness.chat(ADMIN_ID)
    await admin.send("/broadcast")
    assert admin.last().text.startswith("📣 Новая рассылка")
    await admin.click(stream_button)
    assert "Пришлите сообщение для рассылки" in admin.last().text
    await emulator.send_text(harness.token, ADMIN_ID, text, entities=entities)
    await harness.settle()
    return admin


async def link_target(url: str) -> str | None:
    """Where a (tracked) link button leads: the redirect's target, as a reader's browser
    follows it."""
    from aiohttp import ClientSession
    async with ClientSession() as http, http.get(url, allow_redirects=False) as response:
        return response.headers.get("Location") if response.status == 302 else None


async def buttons_lead_to(message, base: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    """A recipient's buttons: each a tracked link of the bot's own, with where it leads."""
    buttons = message.buttons()
    assert all(b["url"].startswith(base + "/r/") for b in buttons), buttons
    return [(b["text"], await link_target(b["url"])) for b in buttons]
