"""Names instead of codes and ids: events by the names the admins give them (unknown codes as
they are), the journal's admins, people, broadcasts and streams by name."""

from __future__ import annotations

import re

import asyncpg
import pytest

from bot.db import audit, summaries
from bot.sandbox.harness import ADMIN_ID, SECOND_ADMIN_ID, BotHarness
from support import add_members, launch_text, wait_until

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

TZ = "Europe/Moscow"


async def events(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO events (user_id, first_name, event_type, created_at) VALUES"
        " (1, 'Оля', 'menu_opened', now()), (1, 'Оля', 'menu_opened', now()),"
        " (2, 'Иван', 'quiz_passed', now())")
    await summaries.refresh(pool, TZ)


async def test_events_are_shown_by_name_and_unknown_codes_as_they_are(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await events(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    await admin.click("События")
    text = admin.last().text
    assert re.search(r"\nОткрытие меню +2\n", text) and re.search(r"\nquiz_passed +1\n", text)
    assert "menu_opened" not in text
    await admin.click("Последние")
    assert "Иван · quiz_passed" in admin.last().text and "Оля · Открытие меню" in admin.last().text
    await admin.send("/start u1")
    await admin.click("🖱 События")
    assert admin.last().text.count("Открытие меню") == 2


async def test_an_admin_names_and_renames_events_from_the_bot(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await events(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    await admin.click("События")
    await admin.click("🏷 Названия событий")
    text = admin.last().text
    assert "menu_opened — Открытие меню" in text and "bot_start — Запуск бота" in text
    assert "Без названия (показываются как есть): quiz_passed" in text
    assert admin.buttons() == ["✏️ Добавить или переименовать", "⬅️ События", "⬅️ Меню"]

    await admin.click("✏️ Добавить или переименовать")
    assert "menu_opened = Открытие меню" in admin.last().text
    assert admin.buttons() == ["✖️ Отмена"]
    await admin.send("quiz_passed Тест пройден")
    assert admin.last().text.startswith("Не понял строку «quiz_passed Тест пройден»")
    assert admin.buttons() == ["✖️ Отмена"]
    await admin.send("quiz_passed = Тест пройден\nmenu_opened =   Меню  ")
    assert admin.messages()[-2].text == "✅ Сохранено:\nquiz_passed — Тест пройден\nmenu_opened — Меню"
    assert "quiz_passed — Тест пройден" in admin.last().text
    assert "Без названия" not in admin.last().text

    await admin.click("⬅️ События")
    text = admin.last().text
    assert re.search(r"\nМеню +2\n", text) and re.search(r"\nТест пройден +1\n", text)
    assert await pool.fetchrow("SELECT label_ru, label_en FROM event_labels"
                               " WHERE code = 'quiz_passed'") == ("Тест пройден", None)
    await admin.send("/audit")
    text = admin.last().text
    assert "Анна · название события · quiz_passed\n    «Тест пройден»" in text
    assert "Анна · название события · menu_opened\n    «Открытие меню» → «Меню»" in text

    # Cancel leaves the typing: what comes after is no name
    await admin.send("/stats")
    await admin.click("События")
    await admin.click("🏷 Названия событий")
    await admin.click("✏️ Добавить или переименовать")
    await admin.click("✖️ Отмена")
    assert admin.callback_answer()["text"] == "Отменено."
    assert admin.last().text.startswith("🏷 Названия событий")
    await admin.send("bot_start = Старт")
    assert await pool.fetchval("SELECT label_ru FROM event_labels WHERE code = 'bot_start'") \
        == "Запуск бота"


async def test_an_english_admin_names_events_in_english(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await events(pool)
    me = harness.chat(SECOND_ADMIN_ID, "Bob", language_code="en")
    await me.send("/stats")
    await me.click("Events")
    assert re.search(r"\nMenu opened +2\n", me.last().text)
    await me.click("🏷 Event names")
    await me.click("✏️ Add or rename")
    await me.send("quiz_passed = Quiz passed")
    await me.click("⬅️ Events")
    assert re.search(r"\nQuiz passed +1\n", me.last().text)
    # the Russian interface has no Russian name for it yet: the code, as it is
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    await admin.click("События")
    assert re.search(r"\nquiz_passed +1\n", admin.last().text)


async def test_the_journal_names_admins_people_broadcasts_and_streams(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await add_members(pool, 2)
    # the second admin never wrote to the bot, but the platform knows him
    await pool.execute("INSERT INTO events (user_id, first_name, event_type) VALUES"
                       " ($1, 'Борис', 'bot_start')", SECOND_ADMIN_ID)
    await summaries.refresh(pool, TZ)
    broadcast = await launch_text(harness, "<b>Урок</b> переносится на 19:00, не пропустите занятие")
    await audit.record_action(pool, 0, "broadcast.send", f"broadcast:{broadcast.id}",
                              {"recipients": 2, "by": "schedule"})
    await audit.record_action(pool, SECOND_ADMIN_ID, "stream.rename", "4th_stream",
                              {"from": "4-й поток", "to": "Четвёртый"})
    await pool.execute("UPDATE course_streams SET title = 'Четвёртый' WHERE code = '4th_stream'")
    await audit.record_action(pool, ADMIN_ID, "broadcast.cancel", "broadcast:999", {})

    admin = harness.chat(ADMIN_ID)
    # the progress message comes on its own: before the journal, not in the middle of it
    await wait_until(lambda: any("завершена" in m.text for m in admin.messages()))
    await admin.send("/audit")
    lines = admin.last().text.splitlines()
    assert lines[2].endswith(" · Анна · рассылка отменена · рассылка #999")
    assert lines[3].endswith(" · Борис · поток переименован · Четвёртый")
    assert lines[4] == "    «4-й поток» → «Четвёртый»"
    assert lines[5].endswith(f" · ⏰ по расписанию · рассылка отправлена · рассылка #{broadcast.id}"
                             " «Урок переносится на 19:00, не пропустит…»")
    assert lines[7].endswith(f" · Анна · рассылка отправлена · рассылка #{broadcast.id}"
                             " «Урок переносится на 19:00, не пропустит…»")
    assert not any(re.search(r" · (0|501|502) · |broadcast:|4th_stream", line) for line in lines)
    assert admin.buttons()[:3] == ["• Все", "Анна", "Борис"]
    await admin.click("Борис")
    assert admin.last().text.startswith("📜 Журнал действий · Борис\n")
