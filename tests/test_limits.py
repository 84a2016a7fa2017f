"""Telegram's limits on every request of a token, seen as the admin sees them: bursts of
commands and presses all answered, strangers kept from the admin's budget, a question on a
running broadcast that stays, a 5xx storm that nobody notices, one bot shared by the admin
and a broadcast. Telegram is the emulator; its counters say whether a limit was broken."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import ClientSession

from bot.views.errors import apology
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, MENU, BotHarness
from support import add_members, launch_text, sends_to, wait_status, wait_until

GUEST_LINE = "администраторам"


async def metrics(harness: BotHarness) -> str:
    async with ClientSession() as http, http.get(harness.url + "/metrics") as response:
        return await response.text()


def texts(harness: BotHarness, chat_id: int) -> list[str]:
    return [m.text or "" for m in harness.emulator.bot_messages(harness.token, chat_id)]


async def test_a_burst_of_commands_is_answered_in_full_without_a_breach(
        harness: BotHarness, emulator: Emulator) -> None:
    emulator.bot(harness.token).limits.config.chat_burst = 1  # stricter than we assume: 429s
    harness.chat(ADMIN_ID)
    await asyncio.gather(*(emulator.send_text(harness.token, ADMIN_ID, "/menu") for _ in range(6)))
    await harness.settle()

    menus = [t for t in texts(harness, ADMIN_ID) if t.startswith("Главное меню")]
    assert len(menus) == 6
    assert apology() not in texts(harness, ADMIN_ID)
    stats = emulator.stats(harness.token)
    assert stats["breaches"] == 0 and stats["too_many_requests"] > 0
    body = await metrics(harness)  # every 429 counted, for this bot and method
    assert 'hsl_telegram_retry_after_total{bot="1000001",method="sendMessage",scope="chat"}' in body


async def test_strangers_cannot_crowd_out_the_admin(harness: BotHarness,
                                                    emulator: Emulator) -> None:
    strangers = list(range(900_000, 900_040))
    for user_id in strangers:
        emulator.user(user_id, "Гость")
    admin = harness.chat(ADMIN_ID)
    flood = [emulator.send_text(harness.token, user_id, "/start") for user_id in strangers]
    flood += [emulator.send_text(harness.token, strangers[0], "/start")]  # and once more
    await asyncio.gather(*flood, emulator.send_text(harness.token, ADMIN_ID, "/menu"))
    await harness.settle()

    assert admin.last().text.startswith("Главное меню") and admin.buttons() == MENU
    answered = [u for u in strangers if any(GUEST_LINE in t for t in texts(harness, u))]
    assert 1 <= len(answered) <= 10  # a few per second; the rest dropped
    assert len(texts(harness, strangers[0])) <= 1  # once an hour at most
    assert emulator.stats(harness.token)["breaches"] == 0


async def test_a_question_on_a_running_broadcast_waits_for_its_answer(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(broadcast_rate=5)  # 60 recipients: ~12 s of progress
    await add_members(pool, 60)
    broadcast = await launch_text(harness, "медленно")
    admin = harness.chat(ADMIN_ID)
    await wait_until(lambda: any(b["text"] == "✖️ Отменить" for m in admin.messages()
                               for b in m.buttons()))
    await admin.click("✖️ Отменить")
    asked = admin.last().text

    async def sent() -> int:
        return await pool.fetchval("SELECT count(*) FROM message_recipients"
                                   " WHERE message_id = $1 AND delivery_status = 'sent'",
                                   broadcast.id)

    async def gone_on() -> bool:
        return await sent() >= target

    # the broadcast goes on underneath for 10 more recipients (2 s at 5/s), in which the
    # progress (edited every 0.3 s) would have been drawn over the question several times
    target = await sent() + 10
    await wait_until(gone_on, 20, "the broadcast did not go on under the question")
    assert await sent() < 60
    assert admin.last().text == asked and "Отменить рассылку?" in asked
    await admin.click("Да, отменить")
    done = await wait_status(pool, broadcast.id, "cancelled")
    assert 0 < done.sent < 60
    await wait_until(lambda: "Отменить рассылку?" not in admin.last().text)
    assert emulator.stats(harness.token)["breaches"] == 0


async def test_a_5xx_storm_on_screen_presses_goes_unnoticed(harness: BotHarness,
                                                            emulator: Emulator) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    faults = emulator.bot(harness.token).faults
    faults.server_error_rate = 0.4  # on every method, edits and callback answers included
    for _ in range(4):
        await admin.click("🩺 Состояние")
        assert "PostgreSQL" in admin.last().text
        assert admin.callback_answer()["answered"]
        await admin.click("⬅️ Меню")
        assert admin.last().text.startswith("Главное меню")
    faults.server_error_rate = 0.0
    failed = [c for c in emulator.calls if c.error_code == 502]
    assert len(failed) >= 4  # the storm was real
    assert apology() not in admin.transcript()
    assert len(admin.messages()) == 1  # every screen drawn in place


async def test_one_bot_shares_its_budget_between_a_broadcast_and_the_admin(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    assert harness.settings.broadcast_token == harness.settings.bot_token
    members = await add_members(pool, 90)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    broadcast = await launch_text(harness, "общий бюджет")
    for _ in range(3):  # the admin browses while it goes out
        await asyncio.gather(*(emulator.send_text(harness.token, ADMIN_ID, "/menu")
                               for _ in range(2)))
        await harness.settle()
    done = await wait_status(pool, broadcast.id, "done", timeout=40)

    assert done.sent == 90
    received = sends_to(emulator, harness.token)
    assert all(received[m] == 1 for m in members)
    assert sum(t.startswith("Главное меню") for t in texts(harness, ADMIN_ID)) == 6
    assert emulator.stats(harness.token)["breaches"] == 0
