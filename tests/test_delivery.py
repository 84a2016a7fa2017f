"""The delivery engine, driven as an admin drives it (/broadcast_test and the progress
buttons) or from code, with Telegram emulated, faults injected, and the database checked."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import ClientSession

from bot.app import ENGINE_KEY
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BROADCAST_TOKEN, BotHarness
from support import (buttons_lead_to, STREAM, add_members, launch_text, sends_to, service, wait_recalled,
                     wait_status, wait_until)

async def test_broadcast_reaches_every_member_once_with_progress(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 60)
    broadcast = await launch_text(harness, "Привет, <b>{first_name}</b>! Урок в 19:00")
    assert broadcast.total == 60 and broadcast.status == "sending"
    done = await wait_status(pool, broadcast.id, "done")

    received = sends_to(emulator, harness.token)
    assert {chat: received[chat] for chat in members} == {chat: 1 for chat in members}
    text = emulator.bot_messages(harness.token, members[0])[0]
    assert text.text == "Привет, Маша! Урок в 19:00"
    assert text.entities == [{"type": "bold", "offset": 8, "length": 4}]
    assert (done.sent, done.failed, done.blocked, done.unknown, done.pending) == (60, 0, 0, 0, 0)
    counts = await db.status_counts(pool, broadcast.id)
    assert counts == {"sent": 60}
    row = await pool.fetchrow("SELECT message_text, total_recipients, successful_deliveries,"
                              " recipient_type, recipient_group, sent_at FROM message_history"
                              " WHERE id = $1", broadcast.id)
    assert tuple(row)[:5] == ("Привет, <b>{first_name}</b>! Урок в 19:00", 60, 60, "group", STREAM)
    assert row["sent_at"] is not None
    assert await pool.fetchval("SELECT count(*) FROM message_recipients WHERE message_id = $1"
                               " AND telegram_message_id IS NOT NULL AND sent_at IS NOT NULL",
                               broadcast.id) == 60
    # the author's progress message ended as a summary
    assert emulator.stats(harness.token)["breaches"] == 0


async def test_429_storm_pauses_everything_and_loses_nothing(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(broadcast_rate=25)
    limits = emulator.bot(harness.token).limits
    limits.config.per_second = 8  # Telegram is stricter than the pace we keep
    members = await add_members(pool, 50)
    broadcast = await launch_text(harness, "storm")
    done = await wait_status(pool, broadcast.id, "done", timeout=60)
    stats = emulator.stats(harness.token)
    assert stats["too_many_requests"] > 0
    assert [(c.method, c.params.get("chat_id"), c.at) for c in emulator.calls if c.breach] == []
    assert stats["breaches"] == 0
    assert done.sent == 50 and done.failed == 0
    received = sends_to(emulator, harness.token)
    assert all(received[m] == 1 for m in members)
    assert harness.app[ENGINE_KEY].pacer.factor < 1.0  # it slowed down for a while


async def test_blocked_users_are_marked_and_skipped_next_time(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 10)
    await emulator.set_blocked(harness.token, members[0])
    emulator.set_chat_status(harness.token, members[1], "deactivated")
    emulator.set_chat_status(harness.token, members[2], "not_started")
    first = await launch_text(harness, "first")
    done = await wait_status(pool, first.id, "done")
    assert (done.sent, done.blocked) == (7, 3)
    reasons = dict(await pool.fetch("SELECT user_id, reason FROM unreachable_users"))
    assert set(reasons) == set(members[:3])
    assert "blocked" in reasons[members[0]] and "deactivated" in reasons[members[1]]

    calls_before = len(emulator.calls)
    second = await launch_text(harness, "second")
    assert second.blocked == 3 and second.total == 10
    await wait_status(pool, second.id, "done")
    tried = {c.params.get("chat_id") for c in emulator.calls[calls_before:]
             if c.method == "sendMessage"}
    assert not tried & {str(m) for m in members[:3]}  # never tried again


async def test_my_chat_member_keeps_reachability_current(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await emulator.set_blocked(harness.token, 4242)
    await harness.settle()
    assert await pool.fetchval("SELECT reason FROM unreachable_users WHERE user_id = 4242")
    await emulator.set_blocked(harness.token, 4242, blocked=False)
    await harness.settle()
    assert await pool.fetchval("SELECT count(*) FROM unreachable_users") == 0


async def test_server_errors_are_retried_then_failed(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 3)
    faults = emulator.bot(harness.token).faults
    faults.methods = {"sendmessage"}
    faults.server_errors_next = 2  # two 5xx, then fine: retried and delivered
    first = await launch_text(harness, "retry me")
    assert (await wait_status(pool, first.id, "done")).sent == 3

    faults.server_error_rate = 1.0  # always failing: bounded retries, then failed
    second = await launch_text(harness, "doomed", Audience("users", user_ids=(members[0],)))
    done = await wait_status(pool, second.id, "done", timeout=20)
    assert done.failed == 1
    error, attempts = await pool.fetchrow("SELECT error, attempts FROM message_recipients"
                                          " WHERE message_id = $1", second.id)
    assert "Telegram server error" in error and "after 3 attempts" in error


async def test_dropped_answers_become_unknown_not_duplicates(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    # the broadcast bot apart, so that the drop meets a recipient, not the admin's progress
    harness = await make_harness(broadcast_bot_token=BROADCAST_TOKEN)
    members = await add_members(pool, 5)
    faults = emulator.bot(BROADCAST_TOKEN).faults
    faults.methods = {"sendmessage"}
    faults.drop_next = 1  # delivered, but the answer never comes back
    broadcast = await launch_text(harness, "maybe")
    done = await wait_status(pool, broadcast.id, "done")
    assert (done.sent, done.unknown) == (4, 1)
    assert all(sends_to(emulator, BROADCAST_TOKEN)[m] == 1 for m in members)


async def test_pause_resume_and_cancel_from_the_buttons(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(broadcast_rate=10)
    await add_members(pool, 60)
    admin = harness.chat(ADMIN_ID)
    broadcast = await launch_text(harness, "slow one")
    await _progress_message(harness, pool, broadcast.id)
    await wait_until(lambda: delivered(emulator, harness) >= 3)
    await admin.click("⏸ Пауза")
    assert admin.callback_answer()["answered"]
    await asyncio.sleep(1.0)  # sending stops within a second
    sent_then = delivered(emulator, harness)
    await asyncio.sleep(1.0)
    assert delivered(emulator, harness) == sent_then
    paused = await db.get(pool, broadcast.id)
    assert paused.status == "paused" and 0 < paused.sent < 60
    assert await pool.fetchval("SELECT count(*) FROM message_recipients WHERE message_id = $1"
                               " AND delivery_status IN ('claimed', 'inflight')", broadcast.id) == 0

    await admin.click("▶️ Продолжить")
    await wait_until(lambda: delivered(emulator, harness) >= sent_then + 3, 10,
                     "sending did not go on after the resume")
    await admin.click("✖️ Отменить")
    assert "Отменить рассылку?" in admin.last().text
    await admin.click("Да, отменить")
    cancelled = await wait_status(pool, broadcast.id, "cancelled")
    await asyncio.sleep(1.0)
    assert cancelled.sent < 60
    assert len(sends_to(emulator, harness.token)) - 1 == (await db.get(pool, broadcast.id)).sent
    actions = [r[0] for r in await pool.fetch("SELECT action FROM admin_audit_log ORDER BY id")]
    assert actions == ["broadcast.send", "broadcast.pause", "broadcast.resume", "broadcast.cancel"]


def delivered(emulator: Emulator, harness: BotHarness) -> int:
    """How many recipients have the broadcast (every chat the bot wrote to but the admin's)."""
    return len(set(sends_to(emulator, harness.token)) - {ADMIN_ID})


async def _progress_message(harness: BotHarness, pool: asyncpg.Pool, broadcast_id: int) -> None:
    deadline = asyncio.get_running_loop().time() + 5
    while (await db.get(pool, broadcast_id)).progress_message_id is None:
        assert asyncio.get_running_loop().time() < deadline, "no progress message"
        await asyncio.sleep(0.05)


async def test_restart_after_a_crash_sends_nobody_twice(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    members = await add_members(pool, 30)
    broadcast_id, _ = await db.create(pool, Content("text", "after crash"),
                                   Audience("stream", stream=STREAM), ADMIN_ID)
    await db.start(pool, broadcast_id)
    # as a killed process leaves it: 10 sent, 5 in flight, 3 claimed without a request, 12 pending
    rows = await pool.fetch("SELECT id FROM message_recipients WHERE message_id = $1 ORDER BY id",
                            broadcast_id)
    await pool.execute("UPDATE message_recipients SET delivery_status = 'sent',"
                       " telegram_message_id = 1 WHERE id = ANY($1::int[])",
                       [r["id"] for r in rows[:10]])
    await pool.execute("UPDATE message_recipients SET delivery_status = 'inflight'"
                       " WHERE id = ANY($1::int[])", [r["id"] for r in rows[10:15]])
    await pool.execute("UPDATE message_recipients SET delivery_status = 'claimed'"
                       " WHERE id = ANY($1::int[])", [r["id"] for r in rows[15:18]])
    await pool.execute("UPDATE message_history SET sent_count = 10 WHERE id = $1", broadcast_id)

    harness = await make_harness()
    done = await wait_status(pool, broadcast_id, "done")
    assert (done.sent, done.unknown, done.total) == (25, 5, 30)
    received = sends_to(emulator, harness.token)
    assert set(received) == set(members[15:])  # only the claimed and pending ones were sent now
    assert all(count == 1 for count in received.values())
    errors = await pool.fetch("SELECT DISTINCT error FROM message_recipients WHERE"
                              " message_id = $1 AND delivery_status = 'unknown'", broadcast_id)
    assert [e[0] for e in errors] == ["interrupted: the bot stopped while sending"]


async def test_recall_deletes_from_every_chat_and_reports(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 12)
    broadcast = await launch_text(harness, "oops, wrong stream")
    await wait_status(pool, broadcast.id, "done")
    await _progress_message(harness, pool, broadcast.id)
    # two copies are too old to delete
    await pool.execute("UPDATE message_recipients SET sent_at = now() - interval '49 hours'"
                       " WHERE message_id = $1 AND user_id = ANY($2::bigint[])",
                       broadcast.id, members[:2])
    # two are 'unknown': one whose message id turned up afterwards, one whose id never did
    await pool.execute("UPDATE message_recipients SET delivery_status = 'unknown'"
                       " WHERE message_id = $1 AND user_id = $2", broadcast.id, members[2])
    await pool.execute("UPDATE message_recipients SET delivery_status = 'unknown',"
                       " telegram_message_id = NULL WHERE message_id = $1 AND user_id = $2",
                       broadcast.id, members[3])
    admin = harness.chat(ADMIN_ID)
    await wait_until(lambda: "🗑 Отозвать у всех" in admin.buttons())  # the final summary
    await admin.click("🗑 Отозвать у всех")
    assert "Удалить рассылку у всех получателей (12)?" in admin.last().text
    await admin.click("🗑 Удалить у всех — отменить нельзя")
    await wait_recalled(pool, broadcast.id)
    for member in members[2:3] + members[4:]:
        assert emulator.bot_messages(harness.token, member) == []
    for member in members[:2] + members[3:4]:
        assert len(emulator.bot_messages(harness.token, member)) == 1
    assert await db.status_counts(pool, broadcast.id) == {"deleted": 9, "sent": 2, "unknown": 1}
    report = await wait_until(lambda: [m.text for m in emulator.bot_messages(
        harness.token, ADMIN_ID) if "отозвана" in m.text], 10, "no recall report")
    assert "Удалено из чатов: 9" in report[-1]
    assert "старше 48 часов: 2" in report[-1]
    assert "номер сообщения неизвестен: 1" in report[-1]


async def test_personalisation_escapes_names_and_checks_length_per_recipient(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await pool.execute(
        "INSERT INTO bookings (user_id, username, first_name, course_stream, confirmed) VALUES"
        " (501001, 'ok_user', '<Иван & Co>', '4th_stream', 2),"
        " (501002, NULL, NULL, '4th_stream', 2),"
        " (501003, 'long', $1, '4th_stream', 2)", "Ы" * 100)
    html = "Здравствуйте, {first_name}! " + "x" * 4000
    broadcast = await launch_text(harness, html)
    done = await wait_status(pool, broadcast.id, "done")
    assert (done.sent, done.failed) == (2, 1)
    first = emulator.bot_messages(harness.token, 501001)[0].text
    assert first.startswith("Здравствуйте, <Иван & Co>! ")
    assert emulator.bot_messages(harness.token, 501002)[0].text.startswith("Здравствуйте, друг! ")
    error = await pool.fetchval("SELECT error FROM message_recipients WHERE user_id = 501003")
    assert "4116 > 4096" in error


async def test_two_bots_media_is_uploaded_once(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(broadcast_bot_token=BROADCAST_TOKEN)
    members = await add_members(pool, 8)
    admin = harness.chat(ADMIN_ID)
    await emulator.send_file(harness.token, ADMIN_ID, "photo", b"\x89PNG-course-photo",
                             caption="Запись урока")
    await harness.settle()
    photo = [m for m in emulator.chat(harness.token, ADMIN_ID).messages.values()
             if not m.from_bot][-1]
    broadcast = (await service(harness).launch(
        Content("photo", "Запись урока, {first_name}", photo.file.file_id,
                ((("Смотреть", "https://example.org/rec"),),)),
        Audience("stream", stream=STREAM), ADMIN_ID)).broadcast
    done = await wait_status(pool, broadcast.id, "done")
    assert done.sent == 8
    assert sends_to(emulator, harness.token).get(members[0]) is None  # not via the admin bot
    for member in members:
        (message,) = emulator.bot_messages(BROADCAST_TOKEN, member)
        assert message.kind == "photo" and message.text == "Запись урока, Маша"
        assert message.file.content == b"\x89PNG-course-photo"
        assert await buttons_lead_to(message, harness.url) == [
            ("Смотреть", "https://example.org/rec")]
    file_ids = {emulator.bot_messages(BROADCAST_TOKEN, m)[0].file.file_id for m in members}
    assert len(file_ids) == 1  # uploaded once, then its file_id reused
    assert (await db.get(pool, broadcast.id)).file_id in file_ids
    del admin


async def test_two_instances_one_delivers_the_other_takes_over(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    first = await make_harness(broadcast_rate=10)
    second = await make_harness(broadcast_rate=10)
    await wait_until(lambda: any(h.app[ENGINE_KEY].is_leader for h in (first, second)))
    leaders = [h for h in (first, second) if h.app[ENGINE_KEY].is_leader]
    assert len(leaders) == 1
    members = await add_members(pool, 40)
    broadcast = await launch_text(first, "handover")
    await wait_until(lambda: delivered(emulator, first) >= 10)  # a quarter of the way
    leader = leaders[0]
    standby = second if leader is first else first
    await leader.stop()  # finishes what is in flight, puts the rest back, unlocks
    done = await wait_status(pool, broadcast.id, "done", timeout=30)
    assert standby.app[ENGINE_KEY].is_leader
    assert await db.status_counts(pool, broadcast.id) == {"sent": 40}
    progress = emulator.bot_messages(first.token, ADMIN_ID)[-1].text
    assert "Бот перезапускался во время рассылки (1)" in progress  # the author is told
    assert "«неизвестно» из-за этого: 0" in progress
    assert done.sent == 40 and done.unknown == 0
    received = sends_to(emulator, first.token)
    assert all(received[m] == 1 for m in members)


async def test_metrics_count_outcomes(harness: BotHarness, pool: asyncpg.Pool,
                                      emulator: Emulator) -> None:
    await add_members(pool, 3)
    broadcast = await launch_text(harness, "metrics")
    await wait_status(pool, broadcast.id, "done")
    # the progress message (an admin's send, which sets the queue gauges) may come just after
    await wait_until(lambda: "завершена" in "".join(
        m.text or "" for m in emulator.bot_messages(harness.token, ADMIN_ID)))
    async with ClientSession() as http:
        async with http.get(harness.url + "/metrics") as response:
            body = await response.text()
    assert 'hsl_broadcast_messages_total{outcome="sent"} 3.0' in body
    assert "# TYPE hsl_telegram_retry_after_total counter" in body  # by bot, method, scope
    assert 'hsl_telegram_send_queue{bot="1000001",priority="admin"} 0.0' in body
    assert "hsl_broadcast_pace_per_second" in body


async def test_a_stranger_cannot_control_a_broadcast(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 3)
    broadcast = await launch_text(harness, "mine")
    await wait_status(pool, broadcast.id, "done")
    import json
    update = {"update_id": 77, "callback_query": {
        "id": "forged", "chat_instance": "x", "data": f"bc:recall_ok:{broadcast.id}",
        "from": {"id": 999, "is_bot": False, "first_name": "X"}}}
    await emulator.post_webhook(emulator.bot(harness.token), json.dumps(update).encode(),
                                {"X-Telegram-Bot-Api-Secret-Token": harness.settings.webhook_secret
                                 .get_secret_value()})
    await harness.settle()
    assert (await db.get(pool, broadcast.id)).recall_status is None
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log"
                               " WHERE action <> 'broadcast.send'") == 0


async def test_the_engine_stops_promptly(make_harness) -> None:  # type: ignore[no-untyped-def]
    """stop() wakes the engine, leader or standby, instead of leaving it asleep for another
    leader poll (2 s)."""
    engines = [(await make_harness()).app[ENGINE_KEY] for _ in range(2)]
    await wait_until(lambda: any(e.is_leader for e in engines), 10, "nobody took the lead")
    engines.sort(key=lambda e: e.is_leader)  # the standby first, then the leader
    assert [e.is_leader for e in engines] == [False, True]
    for engine in engines:
        started = asyncio.get_running_loop().time()
        await engine.stop()
        took = asyncio.get_running_loop().time() - started
        assert engine._task is not None and engine._task.done()
        assert took < engine.config.leader_poll / 2, f"stop took {took:.2f} s"
