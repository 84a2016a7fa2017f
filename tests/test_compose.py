"""Composing, scheduling and following broadcasts from inline buttons, as an admin does it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.db import broadcasts as db
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from bot.keyboards.compose import ComposeCallback, Step
from support import (buttons_lead_to, BOLD_AND_LINK, TEXT, add_members, compose_to_stream, sends_to, wait_recalled,
                     wait_status, wait_until)

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats


async def test_stream_broadcast_with_formatting_and_a_button(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 12)
    await add_members(pool, 3, start=80_000, stream="3rd_stream")
    admin = await compose_to_stream(harness, emulator, "4-й поток · 12")

    preview, summary = admin.messages()[-2:]
    assert preview.text == TEXT and preview.entities == BOLD_AND_LINK
    assert "Получат: 12" in summary.text and "4-й поток" in summary.text
    assert [b["text"] for b in summary.buttons()] == [
        "🚀 Отправить сейчас", "🕒 Запланировать", "✏️ Изменить текст", "🔗 Кнопки",
        "🎯 Контрольная группа: нет", "⏱ Лимит частоты: соблюдать", "🔕 Кнопка отписки: нет",
        "🧪 Тест мне", "✖️ Отмена"]

    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    await admin.send("Открыть урок")
    await admin.send("not a link")
    assert "Нужна ссылка" in admin.last().text
    await admin.send("https://vibe.example/lesson")
    preview = admin.messages()[-2]
    assert preview.buttons() == [{"text": "Открыть урок", "url": "https://vibe.example/lesson"}]

    summary_id = admin.last().message_id
    await admin.click("🚀 Отправить сейчас")
    progress = admin.last()
    assert progress.message_id == summary_id  # the summary turned into the progress message
    assert "Рассылка #1 идёт · 4-й поток" in progress.text
    assert admin.buttons() == ["⏸ Пауза", "✖️ Отменить"]
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, broadcast_id, "done")
    assert done.sent == 12
    messages = emulator.chat(harness.token, ADMIN_ID).messages
    await wait_until(lambda: "завершена" in messages[progress.message_id].text, 10,
                     "the progress message did not become the summary")
    summary = messages[progress.message_id]
    assert "Рассылка #1 завершена" in summary.text  # the same message, edited
    for member in members:
        (message,) = emulator.bot_messages(harness.token, member)
        assert message.text == TEXT and message.entities == BOLD_AND_LINK
        assert await buttons_lead_to(message, harness.url) == [
            ("Открыть урок", "https://vibe.example/lesson")]
    assert all(emulator.bot_messages(harness.token, m) == [] for m in range(80_000, 80_003))
    audit = await pool.fetchrow("SELECT admin_id, action, details FROM admin_audit_log")
    assert (audit["admin_id"], audit["action"]) == (ADMIN_ID, "broadcast.send")
    assert audit["details"] == {"audience": {"kind": "stream", "stream": "4th_stream"},
                                "recipients": 12}


async def test_pressing_send_twice_starts_one_broadcast(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 5)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 5")
    summary = admin.last()
    token = harness.token
    first, second = await asyncio.gather(
        emulator.press(token, ADMIN_ID, "🚀 Отправить сейчас", message_id=summary.message_id),
        emulator.press(token, ADMIN_ID, "🚀 Отправить сейчас", message_id=summary.message_id))
    await harness.settle()
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 1
    for press in (first, second):
        assert emulator.callback_answer(token, press.callback_query_id)["answered"]
    await wait_status(pool, await pool.fetchval("SELECT id FROM message_history"), "done")
    assert all(n == 1 for chat, n in sends_to(emulator, token).items() if chat != ADMIN_ID)
    # either press may win the race; the loser is told which broadcast is already going
    broadcast_id = await pool.fetchval("SELECT id FROM message_history")
    answers = {emulator.callback_answer(token, p.callback_query_id)["text"] for p in (first, second)}
    assert answers == {"Отправляю.", f"Рассылка #{broadcast_id} уже запущена."}
    assert f"Рассылка #{broadcast_id}" in emulator.chat(token, ADMIN_ID).messages[summary.message_id].text
    # a tap that comes once the draft is gone is told the same (here, on the same message)
    late = await emulator.press_forged(token, ADMIN_ID, ComposeCallback(step=Step.SEND).pack())
    await harness.settle()
    assert emulator.callback_answer(token, late.callback_query_id)["text"] == \
        f"Рассылка #{broadcast_id} уже запущена."


async def test_large_audience_asks_once_more(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(broadcast_confirm_threshold=3)
    await add_members(pool, 4)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 4")
    await admin.click("🚀 Отправить сейчас")
    assert "Отправить 4 людям?" in admin.last().text
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 0
    await admin.click("↩️ Назад")
    assert "Проверьте рассылку" in admin.last().text
    await admin.click("🚀 Отправить сейчас")
    await admin.click("Да, отправить 4")
    assert await pool.fetchval("SELECT count(*) FROM message_history WHERE status IN"
                               " ('sending', 'done')") == 1


async def test_oversized_and_unsupported_content_is_refused_with_the_reason(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2", text="x" * 4100,
                                    entities=[])
    assert "4100 > 4096" in admin.last().text
    # with the placeholder filled in for the admin (Анна, 4 letters) it is 4 over
    await admin.send("{first_name}" + "y" * 4093)
    assert "4097 > 4096" in admin.last().text
    await emulator.send_file(harness.token, ADMIN_ID, "photo", b"png", caption="c" * 1030)
    await harness.settle()
    assert "подпись длиннее лимита: 1030 > 1024" in admin.last().text
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 0


async def test_pasted_list_lists_unknown_entries_back(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 3)  # user10000..10002, usernames user10000..
    admin = harness.chat(ADMIN_ID)
    await admin.send("/broadcast")
    await admin.click("📋 Вставить список id / @username")
    await admin.send("10000, @User10001\n424242 @nobody_here")
    reply = admin.last().text
    assert "Нашёл 2." in reply and "Не нашёл: 424242, @nobody_here." in reply
    await admin.send("Личное сообщение")
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    await wait_status(pool, broadcast_id, "done")
    assert set(sends_to(emulator, harness.token)) - {ADMIN_ID} == {10000, 10001}


async def test_schedule_in_words_fires_once_and_restart_keeps_the_draft(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    first = await make_harness()
    members = await add_members(pool, 4)
    admin = await compose_to_stream(first, emulator, "4-й поток · 4", text="Напоминание",
                                    entities=[])
    await first.stop()  # a restart in the middle of composing
    harness = await make_harness()
    admin = harness.chat(ADMIN_ID)
    await admin.click("🕒 Запланировать")
    assert "Когда отправить?" in admin.last().text
    await admin.send("вчера в 10:00")
    assert "уже прошло" in admin.last().text
    await admin.send("абракадабра")
    assert "Не понял время" in admin.last().text and "через 2 часа" in admin.last().text
    before = datetime.now(UTC)
    await admin.send("через 1 минуту")
    assert "запланирована на" in admin.last().text and "Europe/Moscow" in admin.last().text
    row = await pool.fetchrow("SELECT id, status, scheduled_at FROM message_history")
    assert row["status"] == "scheduled"
    assert timedelta(seconds=50) < row["scheduled_at"] - before < timedelta(seconds=70)
    # the clock moves on: make it due in a second
    await pool.execute("UPDATE message_history SET scheduled_at = now() + interval '1 second'")
    done = await wait_status(pool, row["id"], "done", timeout=10)
    assert done.sent == 4
    await asyncio.sleep(1.5)  # the scheduler keeps running: it must not start it again
    assert all(len(emulator.bot_messages(harness.token, m)) == 1 for m in members)
    assert [r[0] for r in await pool.fetch("SELECT action FROM admin_audit_log ORDER BY id")] == [
        "broadcast.schedule", "broadcast.send"]


async def test_overdue_broadcast_starts_with_a_note(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    from bot.db.audiences import Audience
    from bot.db.broadcasts import Content
    broadcast_id, _ = await db.create(pool, Content("text", "late"), Audience("stream", stream="4th_stream"),
                                      ADMIN_ID, scheduled_at=datetime.now(UTC) - timedelta(minutes=10))
    await wait_status(pool, broadcast_id, "done", timeout=10)
    notes = await wait_until(lambda: [m.text for m in emulator.bot_messages(
        harness.token, ADMIN_ID) if "⏰" in m.text], 10, "no note on the late start")
    assert "с опозданием 10 мин" in notes[0]


async def test_scheduled_list_reschedule_and_cancel(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2", text="Позже", entities=[])
    await admin.click("🕒 Запланировать")
    moscow = ZoneInfo("Europe/Moscow")
    day = (datetime.now(moscow) + timedelta(days=3)).date()  # a date typed in full, any day
    await admin.send(f"{day:%Y-%m-%d} 10:00")
    assert "запланирована на" in admin.last().text
    assert await pool.fetchval("SELECT scheduled_at FROM message_history WHERE id = 1") == \
        datetime(day.year, day.month, day.day, 10, 0, tzinfo=moscow)
    await admin.send("/scheduled")
    old_listing = admin.last()
    await admin.send("/scheduled")
    listing = admin.last()
    assert "Запланированные" in listing.text and "«Позже»" in listing.text
    await admin.click(listing.buttons()[0]["text"])
    assert "Рассылка #1" in admin.last().text
    await admin.click("🕒 Перенести")
    await admin.send("через 5 дней")
    assert admin.last().text.startswith("Перенесено.")
    await admin.click("✖️ Отменить")
    assert "Отменить эту рассылку?" in admin.last().text
    await admin.click("Да, отменить")
    assert "Ничего не запланировано" in admin.last().text
    assert (await db.get(pool, 1)).status == "cancelled"
    assert [r[0] for r in await pool.fetch("SELECT action FROM admin_audit_log ORDER BY id")] == [
        "broadcast.schedule", "broadcast.reschedule", "broadcast.cancel"]
    # a button on an older list says what happened instead of acting
    stale = await emulator.press(harness.token, ADMIN_ID, old_listing.buttons()[0]["text"],
                                 message_id=old_listing.message_id)
    await harness.settle()
    answer = emulator.callback_answer(harness.token, stale.callback_query_id)
    assert answer["text"] == "Эта рассылка уже не запланирована: ✖️ отменена."
    assert emulator.bot_messages(harness.token, 10000) == []


async def test_history_card_matches_the_recipients_table_and_recalls(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 8)
    await emulator.set_blocked(harness.token, members[0])
    admin = await compose_to_stream(harness, emulator, "4-й поток · 8", text="История",
                                    entities=[])
    await admin.click("🚀 Отправить сейчас")
    await wait_status(pool, 1, "done")
    await admin.send("/history")
    assert "#1" in admin.last().text and "7/8" in admin.last().text
    await admin.click(admin.buttons()[0])
    card = admin.last().text
    counts = dict(await pool.fetch("SELECT delivery_status, count(*) FROM message_recipients"
                                   " GROUP BY 1"))
    assert counts == {"sent": 7, "blocked": 1}
    assert "Доставлено" in card and f"{counts['sent']:>9}" in card
    assert "пропущен: ранее был недоступен — 1" in card  # it was heard blocking the bot
    await admin.click("👥 Кто не получил (1)")
    assert f"{members[0]}) — пропущен: ранее был недоступен" in admin.last().text
    await admin.click("⬅️ К рассылке")
    card_id = admin.last().message_id
    await admin.click("📄 CSV")
    document = admin.last()
    assert document.kind == "document"
    rows = document.file.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("user_id,username") and len(rows) == 9
    # the reason in the admin's words, as on the card (not Telegram's English)
    assert f"{members[0]},user{members[0]},Маша,blocked,пропущен: ранее был недоступен,,,0" \
        in rows[1:]  # (no clicks: the last column)
    await admin.click("🗑 Отозвать у всех")  # on the card, above the document
    asked = next(m for m in admin.messages() if m.message_id == card_id)
    assert asked.message_id == card_id and asked.text.startswith("Рассылка #1")
    assert "Отменить удаление будет нельзя." in asked.text
    assert asked.text.endswith("Telegram удалить не даст.")
    assert [b["text"] for b in asked.buttons()] == ["🗑 Удалить у всех — отменить нельзя",
                                                    "↩️ Нет, назад"]
    await admin.click("🗑 Удалить у всех — отменить нельзя")
    await wait_recalled(pool, 1, timeout=10)
    assert all(emulator.bot_messages(harness.token, m) == [] for m in members)
    # the card stays the card, with its buttons (no summary of the progress message)
    card = next(m for m in admin.messages() if m.message_id == card_id)
    assert card.text.startswith(("Рассылка #1 · 4-й поток · 🗑 отзывается",  # or done already
                                 "Рассылка #1 · 4-й поток · 🗑 отозвана"))
    assert [b["text"] for b in card.buttons()] == ["👥 Кто не получил (1)", "📄 CSV", "📈 Итоги",
                                                   "⬅️ К истории"]
    await admin.send("/history")
    await admin.click(admin.buttons()[0])
    assert admin.last().text.startswith("Рассылка #1 · 4-й поток · 🗑 отозвана")
    assert "🗑 Отозвать у всех" not in admin.buttons()


async def test_stranger_forging_composer_callbacks_gets_nothing(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 3)
    calls = len(emulator.calls)
    for data in ("cp:send_ok::", "cp:aud:all:", "sc:send:1", "h:csv:1:0::"):
        update = {"update_id": 5000 + calls, "callback_query": {
            "id": f"forged-{data}", "chat_instance": "x", "data": data,
            "from": {"id": 999, "is_bot": False, "first_name": "X"}}}
        await emulator.post_webhook(emulator.bot(harness.token), json.dumps(update).encode(),
                                    {"X-Telegram-Bot-Api-Secret-Token":
                                     harness.settings.webhook_secret.get_secret_value()})
    await harness.settle()
    assert emulator.calls[calls:] == []
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 0


async def test_edit_text_keeps_buttons_and_test_to_me_goes_through_the_broadcast_bot(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    from bot.sandbox.harness import BROADCAST_TOKEN
    harness = await make_harness(broadcast_bot_token=BROADCAST_TOKEN)
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2", text="Черновик",
                                    entities=[])
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    await admin.send("Сайт")
    await admin.send("https://vibe.example")
    await admin.click("✏️ Изменить текст")
    assert "кнопки сохранятся" in admin.last().text
    await admin.send("Итоговый текст, {first_name}")
    preview = admin.messages()[-2]
    assert preview.text == "Итоговый текст, Анна"
    assert preview.buttons() == [{"text": "Сайт", "url": "https://vibe.example"}]

    await admin.click("🧪 Тест мне")
    assert "Тест отправлен" in admin.callback_answer()["text"]
    (test,) = emulator.bot_messages(BROADCAST_TOKEN, ADMIN_ID)
    assert test.text == "Итоговый текст, Анна" and test.buttons() == preview.buttons()
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 0  # only a test

    await emulator.set_blocked(BROADCAST_TOKEN, ADMIN_ID)
    await admin.click("🧪 Тест мне")
    assert "нажмите «Start»" in admin.callback_answer()["text"]

    await admin.click("✖️ Отмена")
    assert admin.last().text == "Рассылка отменена, ничего не отправлено."
    await admin.send("/cancel")
    assert admin.last().text.startswith("Отменять нечего.")


async def test_cancel_and_recall_are_audited_with_audience_and_size(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 3)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 3", text="Аудит",
                                    entities=[])
    await admin.click("🚀 Отправить сейчас")
    await wait_status(pool, 1, "done")
    await wait_until(lambda: "🗑 Отозвать у всех" in admin.buttons())  # the final summary
    await admin.click("🗑 Отозвать у всех")
    await admin.click("🗑 Удалить у всех — отменить нельзя")
    rows = await pool.fetch("SELECT action, details FROM admin_audit_log ORDER BY id")
    assert [r["action"] for r in rows] == ["broadcast.send", "broadcast.recall"]
    assert rows[1]["details"] == {"audience": {"kind": "stream", "stream": "4th_stream"},
                                  "recipients": 3}


async def test_the_audience_picker_counts_what_plain_sql_counts(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    from bot.db import summaries
    await pool.execute("""
        INSERT INTO bookings (user_id, course_stream, confirmed) VALUES
            (1, '4th_stream', 2), (1, '3rd_stream', 2), (1, '4th_stream', 2),
            (2, '4th_stream', 1), (2, '5th_stream', 2), (3, '4th_stream', -1),
            (NULL, '4th_stream', 2), (4, NULL, 2), (5, '3rd_stream', 1), (5, '3rd_stream', 1);
        INSERT INTO free_lesson_registrations (user_id, lesson_type) VALUES
            (6, 'ai_agents'), (6, 'vibe_coding_intro'), (1, 'ai_agents'), (NULL, 'ai_agents');
        INSERT INTO events (user_id, event_type) VALUES (7, 'bot_start'), (NULL, 'bot_start')""")
    await summaries.refresh(pool, "Europe/Moscow")
    # rows the directory has not read yet, and a status changed in place
    await pool.execute("""
        INSERT INTO events (user_id, event_type) VALUES (8, 'bot_start');
        INSERT INTO bookings (user_id, course_stream, confirmed) VALUES (9, '5th_stream', 1);
        INSERT INTO free_lesson_registrations (user_id, lesson_type) VALUES (10, 'ai_agents');
        UPDATE bookings SET confirmed = 2 WHERE user_id = 5 AND confirmed = 1""")

    def people(sql: str) -> str:
        return f"SELECT count(DISTINCT user_id) FROM ({sql}) p"
    everyone = await pool.fetchval(people(
        "SELECT user_id FROM bookings UNION ALL SELECT user_id FROM events"
        " UNION ALL SELECT user_id FROM free_lesson_registrations"))
    paid = await pool.fetchval(people("SELECT user_id FROM bookings WHERE confirmed = 2"))
    registrants = await pool.fetchval(people("SELECT user_id FROM free_lesson_registrations"))
    pending = await pool.fetchval(people("SELECT user_id FROM bookings WHERE confirmed = 1"))
    members = {code: await pool.fetchval(people(
        f"SELECT user_id FROM bookings WHERE confirmed = 2 AND course_stream = '{code}'"))
        for code in ("3rd_stream", "4th_stream", "5th_stream")}
    assert (everyone, paid, registrants, pending) == (10, 4, 3, 2)
    assert members == {"3rd_stream": 2, "4th_stream": 1, "5th_stream": 1}

    admin = harness.chat(ADMIN_ID)
    await admin.send("/broadcast")
    assert admin.buttons() == [
        "3-й поток · 2", "4-й поток · 1", "5-й поток · 1", f"Все пользователи · {everyone}",
        f"Лиды без оплаты · {everyone - paid}", f"Бесплатный урок · {registrants} ›",
        f"Ждут оплаты · {pending}", "📋 Вставить список id / @username", "✖️ Отмена"]


async def test_the_preview_tells_blocked_from_never_started(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 6)
    await pool.execute(
        "INSERT INTO unreachable_users (user_id, reason) VALUES"
        " ($1, 'Forbidden: bot was blocked by the user'),"
        " ($2, 'Forbidden: user is deactivated'),"
        " ($3, 'Forbidden: bot can''t initiate conversation with a user')",
        *members[:3])
    admin = await compose_to_stream(harness, emulator, "4-й поток · 6")
    summary = admin.last().text
    assert ("Из них 2 заблокировали бота и 1 не запускал бот курса — их пропустим."
            in summary), summary
    assert "Получат: 3" in summary


async def test_the_holdout_switch_keeps_a_share_back(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 20)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 20")
    await admin.click("🎯 Контрольная группа: нет")
    await admin.click("🎯 Контрольная группа: 5 %")
    summary = admin.last().text
    assert "🎯 Контрольная группа: 10 % (≈2 человека) не получат рассылку" in summary
    assert "🎯 Контрольная группа: 10 %" in admin.buttons()
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, broadcast_id, "done")
    assert (done.holdout_percent, done.holdout, done.sent) == (10, 2, 18)
    received = sends_to(emulator, harness.token)
    assert sum(1 for m in members if received.get(m)) == 18
