"""Accounting of a broadcast's recipients: every try counted, «Повторить неудачные» resends to
the failed ones only, and those whose delivery is unknown only after a question that says how
many they are and that some may get the message twice."""

from __future__ import annotations

import re

import asyncpg
import pytest

from bot.app import ENGINE_KEY
from bot.db import broadcasts as db
from bot.keyboards.history import Hist, HistoryCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BROADCAST_TOKEN
from support import add_members, launch_text, sends_to, wait_status, wait_until

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats


async def test_attempts_count_every_try(make_harness, pool: asyncpg.Pool,  # type: ignore[no-untyped-def]
                                        emulator: Emulator) -> None:
    harness = await make_harness(broadcast_bot_token=BROADCAST_TOKEN)
    faults = emulator.bot(BROADCAST_TOKEN).faults
    faults.methods, faults.server_errors_next = {"sendmessage"}, 2
    members = await add_members(pool, 1)
    broadcast = await launch_text(harness, "третья попытка")
    done = await wait_status(pool, broadcast.id, "done")
    assert done.sent == 1
    assert await pool.fetchval("SELECT attempts FROM message_recipients WHERE message_id = $1"
                               " AND user_id = $2", broadcast.id, members[0]) == 3


async def test_resend_failed_only_then_unknown_after_a_question(
        harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    members = await add_members(pool, 6)
    broadcast = await launch_text(harness, "повтор")
    await wait_status(pool, broadcast.id, "done")
    # what a failed request and a request cut off by a restart leave behind
    async with pool.acquire() as conn:
        await conn.execute("UPDATE message_recipients SET delivery_status = CASE WHEN user_id"
                           " = ANY($2::bigint[]) THEN 'failed' ELSE 'unknown' END"
                           " WHERE message_id = $1 AND user_id = ANY($3::bigint[])",
                           broadcast.id, members[:2], members[:4])
        await db.recount(conn, broadcast.id)
    await harness.app[ENGINE_KEY].progress.report(broadcast.id, final=True)
    admin = harness.chat(ADMIN_ID)
    assert admin.buttons()[:2] == ["🔁 Повторить неудачные (2)", "❔ Неизвестные (2)"]

    await admin.click("🔁 Повторить неудачные (2)")
    await wait_status(pool, broadcast.id, "done")
    assert await db.status_counts(pool, broadcast.id) == {"sent": 4, "unknown": 2}
    received = sends_to(emulator, harness.token)
    assert [received[m] for m in members] == [2, 2, 1, 1, 1, 1]

    await wait_until(lambda: "❔ Неизвестные (2)" in admin.buttons())  # the summary is drawn
    await admin.click("❔ Неизвестные (2)")
    question = admin.last().text
    assert "У 2 получателей неизвестно" in question and "второй раз" in question
    assert await db.status_counts(pool, broadcast.id) == {"sent": 4, "unknown": 2}  # not yet
    await admin.click("Да, отправить ещё раз")
    await wait_status(pool, broadcast.id, "done")
    assert await db.status_counts(pool, broadcast.id) == {"sent": 6}

    # the card keeps the first run's figures and lists the resends apart
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=broadcast.id).pack())
    card = admin.last().text
    assert re.search(r"Доставлено\s+2\n", card) and re.search(r"Неизвестно\s+2\n", card)
    assert "🔁 Повтор" in card and "неудачным, 2" in card and "неизвестным, 2" in card
    assert "Сейчас: доставлено 6, ошибки 0, неизвестно 0" in card


async def test_unreachable_marks_heal_with_time_and_with_platform_activity(
        harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    expired, active, still, fresh = await add_members(pool, 4)
    await pool.execute(
        "INSERT INTO unreachable_users (user_id, reason, since) VALUES"
        " ($1, 'Forbidden: bot was blocked by the user', now() - interval '31 days'),"
        " ($2, 'Forbidden: bot can''t initiate conversation with a user', now() - interval '2 days'),"
        " ($3, 'Forbidden: bot was blocked by the user', now() - interval '2 days')",
        expired, active, still)
    # the platform saw this one after the mark: they started (or unblocked) the course bot
    await pool.execute("INSERT INTO events (user_id, event_type, created_at)"
                       " VALUES ($1, 'start', now() - interval '1 day')", active)
    await emulator.set_blocked(harness.token, still)
    broadcast = await launch_text(harness, "снова")
    done = await wait_status(pool, broadcast.id, "done")
    assert (done.sent, done.blocked) == (3, 1)
    received = sends_to(emulator, harness.token)
    assert [received[m] for m in (expired, active, still, fresh)] == [1, 1, 0, 1]
    assert [r["user_id"] for r in await pool.fetch("SELECT user_id FROM unreachable_users")] == [still]


async def test_progress_tells_blocked_from_never_started(
        harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    members = await add_members(pool, 5)
    await emulator.set_blocked(harness.token, members[0])
    emulator.set_chat_status(harness.token, members[1], "not_started")
    emulator.set_chat_status(harness.token, members[2], "not_started")
    broadcast = await launch_text(harness, "кто не запускал")
    await wait_status(pool, broadcast.id, "done")
    admin = harness.chat(ADMIN_ID)
    await wait_until(lambda: any("завершена" in m.text for m in admin.messages()))
    assert "заблокировали 1 · не запускали бот курса 2" in admin.last().text
