"""Rows the platform's own bot can write, however odd: any JSON in events.details, rows without
a date (or dated far ahead), paid bookings without a stream, and statistics read while the
summaries are still being built. Each screen shows them sensibly."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.db import summaries
from bot.sandbox.harness import ADMIN_ID, BotHarness
from bot.services import charts

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

TZ = "Europe/Moscow"
APOLOGY = "Не получилось выполнить действие"


def plain(text: str) -> str:
    return re.sub(r"(?<=\d)\u202f(?=\d)", "", text)


async def test_any_json_in_details_is_shown_on_the_events_page(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO events (user_id, first_name, event_type, created_at, details) VALUES
            (3001, 'Оля', 'lesson_link_clicked', now() - interval '1 minute',
             '{"lesson_type": 42}'),
            (3001, 'Оля', 'lesson_link_clicked', now() - interval '2 minutes',
             '{"lesson_type": null}'),
            (3001, 'Оля', 'lesson_link_clicked', now() - interval '3 minutes',
             '{"lesson_type": ["ai", 2]}'),
            (3001, 'Оля', 'lesson_link_clicked', now() - interval '4 minutes',
             '{"lesson_type": {"name": "<b>x</b>"}}'),
            (3001, 'Оля', 'menu_opened', now() - interval '5 minutes', '"just a string"'),
            (3001, 'Оля', 'menu_opened', now() - interval '6 minutes', '7'),
            (3001, 'Оля', 'menu_opened', now() - interval '7 minutes', '[1, {"lesson_type": 1}]'),
            (3001, 'Оля', 'menu_opened', now() - interval '8 minutes', 'null'),
            (3001, 'Оля', 'menu_opened', now() - interval '9 minutes', NULL),
            (3001, 'Оля', 'lesson_link_clicked', now() - interval '10 minutes',
             '{"lesson_type": "ai_agents"}')""")
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start u3001")
    await admin.click("🖱 События")
    text = admin.last().text
    assert APOLOGY not in admin.transcript()
    assert "События · Оля · 10" in text
    assert "Переход к уроку (42)" in text  # the event's name, its details as written
    assert 'Переход к уроку (["ai", 2])' in text
    assert 'Переход к уроку ({"name": "<b>x</b>"})' in text  # escaped, shown as written
    assert "Переход к уроку (ai_agents)" in text
    assert text.count("Открытие меню") == 5
    # the funnel reads details.lesson_type too
    await admin.send("/stats")
    await admin.click("Урок")
    funnel = admin.last().text
    assert APOLOGY not in admin.transcript()
    assert re.search(r"(?m)^42 +0 +1", funnel) and re.search(r"(?m)^ai_agents +0 +1", funnel)


async def test_undated_rows_are_in_totals_but_not_in_days_charts_or_first_seen(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO events (user_id, first_name, event_type, created_at) VALUES
            (4001, 'Без даты', 'menu_opened', NULL),
            (4002, 'Иван', 'menu_opened', NULL),
            (4002, 'Иван', 'menu_opened', now() - interval '2 days');
        INSERT INTO bookings (user_id, first_name, course_stream, confirmed, created_at) VALUES
            (4003, 'Ната', '4th_stream', 2, NULL),
            (4002, 'Иван', '4th_stream', 2, now() - interval '1 day'),
            (4004, 'Будущий', '5th_stream', 1, '2100-01-01 12:00+00');
        INSERT INTO free_lesson_registrations (user_id, first_name, lesson_type, registered_at)
        VALUES (4005, 'Лена', 'ai_agents', NULL)""")
    await summaries.refresh(pool, TZ)
    # nothing is counted on a day of 1970 (or of 2100)
    for table in ("daily_users", "daily_events", "daily_registrations", "daily_bookings"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table} WHERE day > '-infinity'"
                                   f" AND (day < '2000-01-01' OR day > '2099-01-01')") == 0
    admin = harness.chat(ADMIN_ID)

    await admin.send("/start u4001")
    card = admin.last().text
    assert "1970" not in card and "С нами: даты в записях нет" in card
    await admin.send("/start u4002")  # first seen at the dated row, the undated one aside
    two_days_ago = datetime.now(ZoneInfo(TZ)) - timedelta(days=2)
    assert f"С нами с {two_days_ago:%d.%m.%Y}" in admin.last().text

    await admin.send("/stats")
    await admin.click("всё время")
    overview = plain(admin.last().text)
    assert "Пользователи: 5, новых 5" in overview  # all time: every user
    assert "Брони: 3 — оплачено 2 · ждут 1" in overview
    assert "Записей без даты (или с датой в будущем): 5, пользователей без единой даты: 4" \
        in overview
    await admin.click("7 дней")
    week = plain(admin.last().text)
    assert "Пользователи: 5, новых 1" in week and "Брони: 1 — оплачено 1" in week
    assert "не в периоды и графики" in week

    await admin.click("всё время")
    await admin.click("🎫 Брони")
    chart = admin.last()
    assert chart.kind == "photo"
    caption = plain(chart.text)
    assert "оплачено 1, ждут 0, отменено 0" in caption  # the chart: dated bookings only
    assert "не на графике: 2" in caption  # and what it leaves out: 1 + 2 = the overview's 3
    await admin.click("📈 Рост")
    caption = plain(admin.last().text)
    assert "всего 1, новых 1" in caption and "не на графике: 4" in caption
    assert APOLOGY not in admin.transcript()


async def test_a_row_from_1970_makes_a_long_chart_not_a_slow_one(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO events (user_id, event_type, created_at) VALUES
            (6001, 'bot_start', '1970-01-02 12:00+00'), (6002, 'bot_start', now())""")
    await summaries.refresh(pool, TZ)
    days = [date(1970, 1, 2) + timedelta(days=i)
            for i in range((date.today() - date(1970, 1, 2)).days + 1)]
    step, starts, (values,) = charts.buckets(days, [1] * len(days))
    assert step == "year" and len(starts) <= 60 and sum(values) == len(days)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    await admin.click("всё время")
    for button in ("📈 Рост", "🖱 События", "🎫 Брони"):
        started = asyncio.get_running_loop().time()
        await admin.click(button)
        assert admin.last().kind == "photo"
        assert asyncio.get_running_loop().time() - started < 10  # ~18 s a chart before
    assert "всего 2, новых 2" in plain(admin.messages()[-3].text)


async def test_the_current_stream_is_the_newest_paid_booking_naming_one(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO bookings (id, user_id, first_name, course_stream, confirmed, created_at)
        VALUES (1, 5001, 'Петя', '4th_stream', 2, now() - interval '10 days'),
               (2, 5001, 'Петя', NULL, 2, now() - interval '1 day'),
               (3, 5002, 'Вася', NULL, 2, now() - interval '1 day'),
               (4, 5002, 'Вася', '5th_stream', -1, now())""")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start u5001")
    card = admin.last().text
    assert "📚 Поток: 4-й поток" in card
    assert "Последняя оплаченная бронь #2 — без потока." in card
    await admin.send("/start u5002")
    assert "📚 Оплачено, но поток в брони не указан (#3)" in admin.last().text


async def test_the_overview_says_the_figures_are_still_being_counted(
        make_harness, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(stats_refresh_seconds=3600)  # only the run at start
    for _ in range(200):  # the start's run has read the (empty) tables
        if await pool.fetchval("SELECT count(*) FROM summary_marks") == 3:
            break
        await asyncio.sleep(0.05)
    await pool.execute("""
        INSERT INTO events (user_id, event_type, created_at)
        SELECT g, 'bot_start', now() FROM generate_series(1, 3000) g;
        INSERT INTO free_lesson_registrations (user_id, lesson_type, registered_at)
        SELECT g, 'ai_agents', now() FROM generate_series(1, 1000) g""")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    assert "⏳ Статистика ещё считается: прочитано 0% записей платформы (0 из 4" in \
        plain(admin.last().text)
    await summaries._one_batch(pool, summaries.SOURCES[1], TZ)  # registrations read first
    await admin.click("🔄 Обновить")
    text = plain(admin.last().text)
    assert "Пользователи: 1000" in text and "прочитано 25% записей платформы (1000 из 4000)" in text
    await summaries.refresh(pool, TZ)
    await admin.click("🔄 Обновить")
    text = plain(admin.last().text)
    assert "Пользователи: 3000" in text and "⏳" not in text


async def test_very_long_text_in_keys_does_not_stop_the_summaries(pool: asyncpg.Pool) -> None:
    """Text the platform's indexes do not bound (a referral code, details.lesson_type, an
    e-mail, a @username) may be longer than a B-tree entry holds: cut, not a failed refresh."""
    long = "".join(chr(0x400 + (i * 7919) % 0x100) + chr(0x41 + (i * 31) % 26)
                   for i in range(1500))  # 3,000 characters that do not compress
    await pool.execute(
        "INSERT INTO events (user_id, username, event_type, created_at, details)"
        " VALUES (1, $1::text, 'lesson_link_clicked', now(),"
        " jsonb_build_object('lesson_type', $1::text))",
        long)
    await pool.execute("INSERT INTO free_lesson_registrations (user_id, email, lesson_type)"
                       " VALUES (2, $1, 'ai')", long)
    await pool.execute("INSERT INTO bookings (user_id, referral_code, confirmed)"
                       " VALUES (3, $1, 2)", long)
    assert await summaries.refresh(pool, TZ) == 3
    assert await pool.fetchval("SELECT referral_code FROM daily_bookings") == long[:200]
    assert await pool.fetchval("SELECT lesson_type FROM daily_events") == long[:200]
    assert await pool.fetchval("SELECT count(*) FROM user_directory") == 3
