"""Screens an admin walks through on a phone: pagers without dead buttons, Back where the
screen came from, the composer's buttons below a test copy, a Cancel button on every step
that waits for typed text, the people lists and their filters, text outside any flow."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.db import summaries
from bot.text.dates import date_key, from_key, parse_date_range
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from support import add_members, compose_to_stream

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

TZ = "Europe/Moscow"


async def seed(pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO bookings (id, user_id, username, first_name, course_id, course_stream,
                              confirmed, created_at) VALUES
            (1, 1001, 'katya_k', 'Екатерина', 1, '4th_stream', 2, now() - interval '3 days'),
            (2, 1002, 'alex_dev', 'Alexey', 1, '5th_stream', 1, now() - interval '2 days'),
            (3, 1003, NULL, 'Мария', 1, '4th_stream', -1, now() - interval '9 days'),
            (4, 1004, 'maria_s', 'Maria', 1, '4th_stream', 1, now() - interval '1 day');
        SELECT setval(pg_get_serial_sequence('bookings', 'id'), 10);""")
    await summaries.refresh(pool, TZ)


async def test_pages_have_arrows_and_say_the_page_in_the_text(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await add_members(pool, 25, first_name="Анна")
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/streams")
    await admin.click("4-й поток · 25")
    await admin.click("👥 Участники")
    assert admin.last().text == "👥 4-й поток: 25 человек. Страница 1 из 3."
    assert admin.buttons()[10:] == ["▶️", "📄 CSV", "⬅️ Потоки"]
    await admin.click("▶️")
    assert admin.last().text == "👥 4-й поток: 25 человек. Страница 2 из 3."
    assert admin.buttons()[10:] == ["◀️", "▶️", "📄 CSV", "⬅️ Потоки"]
    assert not any("/" in b for b in admin.buttons()[10:])  # no «2/3» that does nothing


async def test_back_from_a_streams_members_goes_to_the_streams(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/streams")
    await admin.click("4-й поток · 1")
    await admin.click("👥 Участники")
    assert admin.last().text == "👥 4-й поток: 1 человек."
    assert admin.buttons() == ["Екатерина · @katya_k · 1001", "📄 CSV", "⬅️ Потоки"]
    await admin.click("⬅️ Потоки")
    assert admin.last().text.startswith("📚")
    assert "➕ Добавить поток" in admin.buttons()
    # a stream nobody paid for: Back without CSV, still to the streams
    await admin.click("5-й поток · 0")
    await admin.click("👥 Участники")
    assert admin.buttons() == ["⬅️ Потоки"]


async def test_after_a_test_copy_the_preview_and_its_buttons_come_again_below_it(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2", text="Привет, {first_name}",
                                    entities=[])
    summary = admin.last()
    assert "🧪 Тест мне" in admin.buttons()
    await admin.click("🧪 Тест мне")  # one bot for both: the copy comes into this chat
    assert "Тест отправлен" in admin.callback_answer()["text"]
    *_, old_summary, copy, preview, new_summary = admin.messages()
    assert old_summary.message_id == summary.message_id and old_summary.buttons() == []
    assert copy.text == preview.text == "Привет, Анна"
    assert new_summary.text == summary.text
    assert "🚀 Отправить сейчас" in [b["text"] for b in new_summary.buttons()]
    live = [m for m in admin.messages()
            if any(b.get("text") == "🚀 Отправить сейчас" for b in m.buttons())]
    assert live == [new_summary]  # one live set of actions, below the copy
    await admin.click("🚀 Отправить сейчас")
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 1


CANCELLED = "Действие отменено.\n\nГлавное меню\nВыберите раздел:"


async def test_every_step_that_waits_for_text_has_a_cancel_button(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)

    async def cancel_leaves_the_step(prompt_starts: str) -> None:
        prompt = admin.last()
        assert prompt.text.startswith(prompt_starts) and "✖️ Отмена" in admin.buttons()
        await admin.click("✖️ Отмена")
        assert admin.last().message_id == prompt.message_id and admin.last().text == CANCELLED
        assert admin.buttons()[0] == "📊 Статистика"  # the menu

    await admin.send("/find")  # the search
    await cancel_leaves_the_step("👥 Пользователи")

    await admin.send("/streams")  # a new stream's code, then its title; a new title
    await admin.click("➕ Добавить поток")
    await cancel_leaves_the_step("➕ Новый поток")
    await admin.send("/streams")
    await admin.click("➕ Добавить поток")
    await admin.send("8th_stream")
    await cancel_leaves_the_step("Как назвать поток")
    await admin.send("Восьмой поток")  # no longer asked for: nothing is added
    assert await pool.fetchval("SELECT count(*) FROM course_streams WHERE code = '8th_stream'"
                               ) == 0
    await admin.send("/streams")
    await admin.click("4-й поток · 1")
    await admin.click("✏️ Переименовать")
    await cancel_leaves_the_step("✏️ Новое название")

    await admin.send("/stats")  # the digest's time
    await admin.click("🕘 в 09:00")
    await cancel_leaves_the_step("🕘 Во сколько")
    await admin.send("7:45")  # no longer asked for: nothing is set
    assert await pool.fetchval("SELECT count(*) FROM admin_preferences WHERE digest_time"
                               " = '07:45'") == 0

    admin = await compose_to_stream(harness, emulator, "4-й поток · 1", text="Позже",
                                    entities=[])
    await admin.click("🕒 Запланировать")
    await admin.send("завтра 10:00")
    await admin.send("/scheduled")  # a scheduled broadcast's new time and new text
    await admin.click(admin.buttons()[0])
    await admin.click("🕒 Перенести")
    await cancel_leaves_the_step("Когда отправить")
    await admin.send("/scheduled")
    await admin.click(admin.buttons()[0])
    await admin.click("✏️ Изменить текст")
    await cancel_leaves_the_step("Пришлите новый вариант")
    assert await pool.fetchval("SELECT message_text FROM message_history") == "Позже"


async def test_a_name_typed_outside_any_flow_is_searched_for_admins_only(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    from bot.sandbox.harness import STRANGER_ID
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    await admin.send("Екатерина")  # one match: the card at once
    assert admin.last().text.startswith("👤 Екатерина · @katya_k · 1001")
    await admin.send("мария")  # two: the results, as the «Пользователи» search gives them
    assert admin.last().text == "🔎 «мария»: найдено 2. Откройте карточку:"
    assert set(admin.buttons()[:2]) == {"Мария · 1003", "Maria · @maria_s · 1004"}
    stranger = harness.chat(STRANGER_ID)
    await stranger.send("Екатерина")
    assert not any("1001" in m.text or "Екатерина" in m.text for m in stranger.messages())


async def test_a_booking_goes_back_to_pending_after_a_question_and_is_audited(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find @katya_k")
    await admin.click("🎫 Брони")
    assert admin.buttons() == ["⏳ Ждёт оплаты · #1", "✖️ Отменить · #1", "⬅️ К карточке"]
    await admin.click("⏳ Ждёт оплаты · #1")
    assert admin.last().text == "Вернуть бронь #1 (4-й поток) в «ждёт оплаты»?\n👤 Екатерина"
    assert admin.buttons() == ["Да", "Отмена"]
    await admin.click("Отмена")  # nothing changes
    assert await pool.fetchval("SELECT confirmed FROM bookings WHERE id = 1") == 2
    await admin.click("🎫 Брони")
    await admin.click("⏳ Ждёт оплаты · #1")
    await admin.click("Да")
    assert admin.callback_answer()["text"] == "Бронь #1 снова ждёт оплаты."
    assert await pool.fetchval("SELECT confirmed FROM bookings WHERE id = 1") == 1
    entry = await pool.fetchrow("SELECT action, target, details FROM admin_audit_log")
    assert (entry["action"], entry["target"], entry["details"]) == (
        "booking.status", "1001", {"booking_id": 1, "from": 2, "to": 1})
    # a cancelled booking (Мария's only one) can come back too
    await admin.send("/find Мария")
    await admin.click("Мария · 1003")
    await admin.click("🎫 Брони")
    assert admin.buttons() == ["⏳ Ждёт оплаты · #3", "⬅️ К карточке"]
    await admin.click("⏳ Ждёт оплаты · #3")
    await admin.click("Да")
    assert await pool.fetchval("SELECT confirmed FROM bookings WHERE id = 3") == 1


async def seed_registrants(pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO free_lesson_registrations (user_id, username, first_name, email,
                                               lesson_type, lesson_date, registered_at) VALUES
            (1001, 'katya_k', 'Катя', 'katya@example.com', 'ai_agents', '2025-12-05',
             now() - interval '5 days'),
            (1004, 'maria_s', 'Maria', NULL, 'vibe_coding_intro', NULL, now() - interval '1 day'),
            (1006, NULL, NULL, 'ivan@example.com', NULL, '2025-12-20', now());""")
    await summaries.refresh(pool, TZ)


async def test_registrants_show_lesson_date_and_email_and_filter_by_lesson_and_dates(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await seed(pool)
    await seed_registrants(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find")
    await admin.click("🎓 Бесплатный урок")
    assert admin.last().text.splitlines() == [
        "🎓 Записались на бесплатный урок: 3 человека.", "все уроки · любые даты", "",
        "1. без имени · 1006 — —, 20.12.2025, ivan@example.com",  # NULLs are «—»
        "2. Maria · @maria_s · 1004 — vibe_coding_intro, —, —",
        "3. Екатерина · @katya_k · 1001 — ai_agents, 05.12.2025, katya@example.com"]
    assert admin.buttons()[3:] == ["• Все уроки", "ai_agents", "vibe_coding_intro",
                                   "📅 Даты урока: любые", "📄 CSV", "⬅️ Пользователи"]
    await admin.click("ai_agents")
    assert admin.last().text.splitlines()[:2] == [
        "🎓 Записались на бесплатный урок: 1 человек.", "урок: ai_agents · любые даты"]
    assert "• ai_agents" in admin.buttons()

    await admin.click("📅 Даты урока: любые")
    assert admin.last().text.startswith("📅 Какие даты урока показать?")
    assert admin.buttons() == ["↩️ Назад", "✖️ Отмена"]
    await admin.send("на днях")
    assert admin.last().text.startswith("Не понял даты.")
    assert admin.buttons() == ["↩️ Назад", "✖️ Отмена"]
    await admin.send("1.12.2025 - 10.12.2025")  # lesson and dates together
    assert admin.last().text.splitlines()[:4] == [
        "🎓 Записались на бесплатный урок: 1 человек.",
        "урок: ai_agents · даты урока: 01.12.2025–10.12.2025", "",
        "1. Екатерина · @katya_k · 1001 — ai_agents, 05.12.2025, katya@example.com"]
    await admin.click("Все уроки")  # the dates stay
    assert admin.last().text.startswith("🎓 Записались на бесплатный урок: 1 человек.\n"
                                        "все уроки · даты урока: 01.12.2025–10.12.2025")
    await admin.click("📄 CSV")
    header, *rows = admin.last().file.content.decode("utf-8-sig").splitlines()  # type: ignore[union-attr]
    assert header == "user_id,username,first_name,email,lesson_type,lesson_date,registered_at"
    assert len(rows) == 1
    assert rows[0].startswith("1001,katya_k,Екатерина,katya@example.com,ai_agents,2025-12-05,")
    await admin.click("✖️ Любые даты")  # on the list, above the document
    assert admin.messages()[-2].text.startswith("🎓 Записались на бесплатный урок: 3 человека.")
    await admin.send("/find")
    await admin.click("🎓 Бесплатный урок")
    # a question about dates left with Back: no longer waiting for dates
    await admin.click("📅 Даты урока: любые")
    await admin.click("↩️ Назад")
    assert admin.last().text.startswith("🎓 Записались на бесплатный урок: 3 человека.")
    await admin.send("05.12")  # now a search, not dates
    assert admin.last().text.startswith("🔎")


async def test_bookings_by_stream_and_status_together(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find")
    await admin.click("🎫 Брони")
    text = admin.last().text
    assert text.startswith("🎫 Брони: 4\nвсе потоки · все статусы\n\n1. #4 Maria · @maria_s · 1004"
                           " — 4-й поток, ⏳ ждёт оплаты, ")
    await admin.click("4-й поток")
    assert admin.last().text.startswith("🎫 Брони: 3\n4-й поток · все статусы")
    await admin.click("⏳ ждут оплаты")  # the stream stays chosen
    lines = admin.last().text.splitlines()
    assert lines[:2] == ["🎫 Брони: 1", "4-й поток · ⏳ ждут оплаты"]
    assert lines[3].startswith("1. #4 Maria · @maria_s · 1004 — 4-й поток, ⏳ ждёт оплаты")
    assert {"• 4-й поток", "• ⏳ ждут оплаты"} <= set(admin.buttons())
    await admin.click("#4 · Maria · @maria_s · 1004")
    assert admin.last().text.startswith("👤 Maria")
    await admin.click("⬅️ Пользователи")
    await admin.click("🎫 Брони")
    await admin.click("✖️ отменены")
    assert admin.last().text.splitlines()[3].startswith("1. #3 Мария · 1003 — 4-й поток, ✖️ отменена")


async def test_a_list_of_all_users(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    await seed_registrants(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/find")
    await admin.click("👥 Все пользователи")
    assert admin.last().text == "👥 Все пользователи: 5 человек."
    assert admin.buttons() == ["Екатерина · @katya_k · 1001", "Alexey · @alex_dev · 1002",
                               "Мария · 1003", "Maria · @maria_s · 1004", "без имени · 1006",
                               "📄 CSV", "⬅️ Пользователи"]
    assert await pool.fetchval("SELECT count(DISTINCT user_id) FROM (SELECT user_id FROM bookings"
                               " UNION SELECT user_id FROM free_lesson_registrations) u") == 5


@settings(max_examples=300)  # pure and fast: more than the profile's few end-to-end examples
@example(text="31.02", today=date(2025, 1, 1))
@example(text="0.0", today=date(2025, 1, 1))
@example(text="28.02-29.02", today=date(2027, 1, 1))
@given(text=st.one_of(st.text(max_size=40), st.from_regex(
    r"\A[0-9]{1,4}[.\-/][0-9]{1,2}([.\-/][0-9]{1,4})?( ?[-–—]? ?[0-9]{1,4}[.\-/][0-9]{1,2}"
    r"([.\-/][0-9]{1,4})?)?\Z")), today=st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_a_typed_date_range_is_a_range_or_a_reason(text: str, today: date) -> None:
    """Whatever is typed: the first and last day in order, or a ValueError to show (never
    another exception, which would reach the admin as the generic apology)."""
    try:
        first, last = parse_date_range(text, today)
    except ValueError as exc:
        assert str(exc)
    else:
        assert first <= last
        assert from_key(date_key(first)) == first and from_key(date_key(last)) == last
