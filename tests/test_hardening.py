"""Odd input an admin or a modified client can send: each gets the screen or a clear reason,
never the generic apology, and nothing reaches the database that its column can't hold."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest
from aiohttp import ClientSession

from bot.db import audit, summaries
from bot.keyboards.broadcast import Action, BroadcastCallback
from bot.keyboards.users import MoveCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, WEBHOOK_SECRET, BotHarness, ChatClient
from support import add_members, compose_to_stream, launch_text, sends_to, wait_status

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

APOLOGY = "Не получилось выполнить действие"
STALE = "Эта кнопка устарела. Откройте меню заново: /menu"


def no_apology(emulator: Emulator, harness: BotHarness) -> None:
    texts = [m.text for m in emulator.bot_messages(harness.token, ADMIN_ID)]
    answers = [q.get("text") or "" for q in emulator.bot(harness.token).callback_queries.values()]
    assert not any(APOLOGY in t for t in texts + answers)


def answers_of(emulator: Emulator, harness: BotHarness, query_id: str) -> list[bool]:
    """Each answerCallbackQuery the bot made for this press: whether Telegram took it."""
    bot_id = emulator.bot(harness.token).id
    return [c.ok for c in emulator.calls if c.bot_id == bot_id
            and c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id]


async def test_a_pasted_list_is_judged_entry_by_entry(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 3)  # 10000..10002, @user10000..
    # @anna_k was someone's name before someone else took it
    await pool.execute("""
        INSERT INTO bookings (user_id, username, first_name, course_stream, confirmed, created_at)
        VALUES (20001, 'anna_k', 'Анна', '4th_stream', 1, now() - interval '30 days');
        INSERT INTO events (user_id, username, first_name, event_type, created_at)
        VALUES (20002, 'anna_k', 'Анна К.', 'bot_start', now())""")
    # read into the directory now, not racing the refresh the bot starts with
    await summaries.refresh(pool, "Europe/Moscow")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/broadcast")
    await admin.click("📋 Вставить список id / @username")
    await admin.send("10000 9223372036854775808, @User10001 0 abc! 424242 @x @anna_k")
    reply = admin.last().text
    assert reply.splitlines() == [
        "Нашёл 2.",
        "Не нашёл: 424242.",
        "Не подошли: 9223372036854775808 (таких id не бывает), 0 (таких id не бывает), "
        "abc! (не id и не @username), @x (не похоже на @username).",
        "@anna_k — у нескольких человек: Анна К. · @anna_k · 20002; Анна · @anna_k · 20001.",
        "Пришлите id нужного человека — добавлю к списку."]
    assert admin.buttons() == ["➡️ Дальше: 2 человека", "⬅️ Другая аудитория", "✖️ Отмена"]
    await admin.send("20002")
    assert admin.last().text.startswith("Нашёл 1. Всего в списке: 3.")
    assert "Аудитория: список — 3 человека." in admin.last().text
    await admin.send("Привет")
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    await wait_status(pool, broadcast_id, "done")
    assert set(sends_to(emulator, harness.token)) - {ADMIN_ID} == {10000, 10001, 20002}
    no_apology(emulator, harness)


async def test_blank_content_is_refused_before_any_request(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2", text="   \n  ",
                                    entities=[])
    assert admin.last().text == "Не подойдёт: в сообщении нет текста, одни пробелы"
    assert admin.buttons() == ["⬅️ Другая аудитория", "✖️ Отмена"]  # a way out, not only /cancel
    assert not [c for c in emulator.calls if c.method == "sendMessage" and not c.ok]
    await admin.send("Теперь с текстом")
    assert admin.messages()[-2].text == "Теперь с текстом"  # the preview
    assert "🚀 Отправить сейчас" in admin.buttons()
    no_apology(emulator, harness)


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"update_id": 1, "message": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
    '{"update_id": "x"}',
    "\xff\xfe not json",
])
async def test_the_webhook_refuses_what_is_not_an_update(
        harness: BotHarness, body: str, caplog: pytest.LogCaptureFixture) -> None:
    url = harness.url + harness.settings.webhook_path
    async with ClientSession() as http:
        async with http.post(url, data=body.encode("utf-8", "surrogateescape"), headers={
                "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                "Content-Type": "application/json"}) as response:
            assert response.status == 400
            assert "Traceback" not in await response.text()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


FORGED = [
    "uc:9223372036854775808:main:0", "uc:1:nonsense:0", "uc:1:main:-1",
    "au:9223372036854775808:0", "au:0:99999999999", "uw:9223372036854775808",
    "h:open:9223372036854775808:0::", "h:open:2147483648:0::", "h:list:0:0:bogus:",
    "um:1:2147483648::0", "ub:1:1:3:-1:0", "ul:everyone::0:0", "st:bogus:7", "st:overview:8",
    "dg:set:7:2500x", "ch:pie:7", "sm:explode:", "bc:cancel:-1", "cp:aud:martians:",
    "ul:leads:\x1f:0:1",  # found by the long property run: a control character in a file name
]


async def test_a_forged_or_out_of_range_button_is_out_of_date(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/menu")
    for data in FORGED:
        delivery = await admin.press_forged(data)
        assert admin.callback_answer()["text"] == STALE, data
        assert answers_of(emulator, harness, delivery.callback_query_id) == [True], data  # once
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log") == 0
    no_apology(emulator, harness)


async def test_a_late_press_still_draws_its_screen(
        harness: BotHarness, emulator: Emulator) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/menu")
    delivery = await admin.click("📚 Потоки", age=60)  # past Telegram's answer window
    assert answers_of(emulator, harness, delivery.callback_query_id) == [False]
    assert admin.last().text.startswith("📚")
    assert "➕ Добавить поток" in admin.buttons()
    no_apology(emulator, harness)


async def test_a_recalled_broadcast_says_so(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 3)
    broadcast = await launch_text(harness, "oops")
    await wait_status(pool, broadcast.id, "done")
    assert await harness.dispatcher["broadcasts"].recall(broadcast.id, ADMIN_ID)
    while (await pool.fetchval("SELECT recall_status FROM message_history WHERE id = $1",
                               broadcast.id)) != "done":
        await harness.settle()
    admin = harness.chat(ADMIN_ID)
    await admin.send("/history")
    listed = admin.last().text  # not «0/3 · ✅ завершена»
    assert "3 отозвано · 🗑 отозвана" in listed and "0/3" not in listed
    await admin.press_forged(BroadcastCallback(action=Action.RECALL, id=broadcast.id).pack())
    assert admin.callback_answer()["text"] == "Рассылка уже отозвана."
    assert not any("Удалить рассылку у всех" in m.text for m in admin.messages())
    no_apology(emulator, harness)


async def test_pages_past_the_end_show_the_last_page(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    for i in range(25):
        await audit.record_action(pool, ADMIN_ID, "stream.archive", f"s{i}")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/audit")
    await admin.press_forged("au:0:100000")
    assert "стр. 3/3" in admin.last().text
    await add_members(pool, 12)
    await admin.press_forged("ul:stream:4th_stream:100000:0")
    assert "Страница 2 из 2." in admin.last().text
    no_apology(emulator, harness)


async def test_a_list_of_a_stream_that_does_not_exist(
        harness: BotHarness, emulator: Emulator) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/menu")
    shown = [(m.message_id, m.text, m.buttons()) for m in admin.messages()]
    await admin.press_forged("ul:stream:no_such_stream:0:0")
    assert admin.callback_answer()["text"] == "Потока «no_such_stream» нет."
    # nothing sent or edited: the menu stays as it was
    assert [(m.message_id, m.text, m.buttons()) for m in admin.messages()] == shown
    assert admin.last().text.startswith("Главное меню")


async def test_moving_a_booking_to_its_own_stream(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 1)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find 10000")
    booking_id = await pool.fetchval("SELECT id FROM bookings WHERE user_id = 10000")
    await admin.press_forged(MoveCallback(user_id=10000, booking_id=booking_id,
                                          to="4th_stream").pack())
    assert admin.callback_answer()["text"] == f"Бронь #{booking_id} уже в этом потоке."
    await admin.press_forged(MoveCallback(user_id=10000, booking_id=booking_id,
                                          to="4th_stream", sure=True).pack())
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log") == 0
    no_apology(emulator, harness)


async def test_two_streams_cannot_share_a_title(harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/streams")
    await admin.click("➕ Добавить поток")
    await admin.send("7th_stream")
    await admin.send("4-Й ПОТОК")
    assert admin.last().text == ("Название «4-Й ПОТОК» уже у потока 4th_stream. "
                                 "Пришлите другое.")
    assert admin.buttons() == ["⬅️ Потоки", "✖️ Отмена"]
    await admin.send("7-й поток")
    assert "7-й поток · 0" in admin.buttons()
    assert await pool.fetchval("SELECT count(*) FROM course_streams WHERE code = '7th_stream'") == 1


async def test_schedule_more_than_a_year_ahead_is_refused_and_years_are_shown(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2")
    await admin.click("🕒 Запланировать")
    assert admin.buttons() == ["🔁 Повторять", "↩️ Назад", "✖️ Отмена"]
    await admin.send("31.12.9999 10:00")
    assert "больше чем через год" in admin.last().text
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 0
    # a broadcast next year is listed with its year
    next_year = datetime.now(UTC).year + 1
    await pool.execute(
        "INSERT INTO message_history (message_text, content_html, status, scheduled_at,"
        " audience, created_by) VALUES ('x', 'x', 'scheduled', $1, $2::jsonb, $3)",
        datetime(next_year, 1, 2, 7, 0, tzinfo=UTC),
        {"kind": "stream", "stream": "4th_stream"}, ADMIN_ID)
    await admin.send("/scheduled")
    assert f"02.01.{next_year} 10:00" in admin.last().text
    no_apology(emulator, harness)


async def test_csv_cells_cannot_become_formulas(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO bookings (user_id, username, first_name, course_stream, confirmed)"
        " VALUES (30001, 'eve', '=HYPERLINK(\"http://x.example\",\"hi\")', '4th_stream', 1),"
        "        (30002, 'bob', '-2+3', '4th_stream', 1)")
    await summaries.refresh(pool, "Europe/Moscow")  # lists name people from the directory
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find")
    await admin.click("⏳ Ждут оплаты")
    await admin.click("📄 CSV")
    rows = admin.last().file.content.decode("utf-8-sig").splitlines()  # type: ignore[union-attr]
    assert rows == ["user_id,username,first_name,email",
                    "30001,eve,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"hi\"\")\",",
                    "30002,bob,'-2+3,"]


async def wait_for_steps_with_buttons(admin: ChatClient) -> None:
    """Every step that waits for typed input offers a button out of it."""
    await admin.send("/broadcast")
    await admin.click("Все пользователи · 2")
    await admin.send("Текст")
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    assert admin.buttons() == ["↩️ Назад", "✖️ Отмена"]
    await admin.send("x" * 100)
    assert "длиннее 64" in admin.last().text and admin.buttons() == ["↩️ Назад", "✖️ Отмена"]
    await admin.click("↩️ Назад")
    assert "Проверьте рассылку" in admin.last().text
    await admin.click("✏️ Изменить текст")
    assert admin.buttons() == ["↩️ Назад", "✖️ Отмена"]
    await admin.click("↩️ Назад")
    await admin.click("✏️ Изменить текст")
    await admin.send("Новый текст")
    assert "Проверьте рассылку" in admin.last().text


async def test_every_waiting_step_has_a_way_out(harness: BotHarness, pool: asyncpg.Pool,
                                                emulator: Emulator) -> None:
    await add_members(pool, 2)
    await wait_for_steps_with_buttons(harness.chat(ADMIN_ID))
    no_apology(emulator, harness)


async def test_a_search_page_past_the_end(harness: BotHarness, pool: asyncpg.Pool,
                                          emulator: Emulator) -> None:
    await add_members(pool, 12)  # twelve "Маша"
    await summaries.refresh(pool, "Europe/Moscow")  # names are searched in the directory
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find Маша")
    assert admin.buttons()[-2:-1] == ["▶️"] and "страница 1 из 2" in admin.last().text
    await admin.press_forged("us:100000")
    assert admin.buttons()[-2:-1] == ["◀️"] and "страница 2 из 2" in admin.last().text
    no_apology(emulator, harness)


async def test_an_audience_button_without_its_audience(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/broadcast")
    for data in ("cp:aud::", "cp:aud:stream:"):
        await admin.press_forged(data)
        assert admin.callback_answer()["text"] == STALE
    no_apology(emulator, harness)


async def test_a_button_under_a_document_opens_its_screen_below(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await pool.execute("INSERT INTO bookings (user_id, first_name, course_stream, confirmed)"
                       " VALUES (40001, 'Ира', '4th_stream', 1)")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find")
    await admin.click("⏳ Ждут оплаты")
    await admin.click("📄 CSV")
    assert admin.last().kind == "document"
    await admin.press_forged("h:list:0:0::")  # a press on the document: it has no text to edit
    assert admin.last().text.startswith("🗂")
    no_apology(emulator, harness)
