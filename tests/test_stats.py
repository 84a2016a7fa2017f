"""Statistics: the summaries the bot keeps equal plain SQL over the platform's tables, stay
current as rows arrive, and the overview shows the same numbers."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from babel import Locale

from bot.db import demo, summaries
from bot.sandbox.harness import ADMIN_ID, BotHarness

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

TZ = "Europe/Moscow"
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


async def fill(pool: asyncpg.Pool, users: int = 400, events: int = 6000) -> None:
    async with pool.acquire() as conn:
        await demo.fill(conn, demo.DemoPlan(users, events, seed=3), anchor=ANCHOR)


def form(n: int, one: str, few: str, many: str) -> str:
    """The Russian word for n of it, by Unicode's CLDR rules: 1 запись, 2 записи, 5 записей."""
    return {"one": one, "few": few, "many": many}[Locale("ru").plural_form(n)]


def has_row(text: str, name: str, *numbers: object) -> bool:
    """A table line starting with the name (or its start, cut with …), then these numbers."""
    cells = r"\s+".join(re.escape(str(n)) for n in numbers)
    return re.search(rf"(?m)^{re.escape(name[:8])}\S*(?: \S+)*?\s+{cells}(?:\s|$)", text) is not None


async def open_stats(harness: BotHarness, pool: asyncpg.Pool):  # type: ignore[no-untyped-def]
    """Demo data, summaries brought up to date, and the admin's /stats open."""
    await fill(pool)
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    return admin


async def test_summaries_equal_plain_sql(pool: asyncpg.Pool) -> None:
    await fill(pool)
    await summaries.refresh(pool, TZ)
    # the user directory: every user_id of the three tables, first seen at their earliest row
    expected = dict(await pool.fetch("""
        SELECT user_id, min(at) FROM (
            SELECT user_id, created_at AS at FROM bookings
            UNION ALL SELECT user_id, registered_at FROM free_lesson_registrations
            UNION ALL SELECT user_id, created_at FROM events) u
        WHERE user_id IS NOT NULL GROUP BY user_id"""))
    directory = dict(await pool.fetch("SELECT user_id, first_seen FROM user_directory"))
    assert directory == expected
    events = sorted(tuple(r) for r in await pool.fetch("""
        SELECT (created_at AT TIME ZONE 'Europe/Moscow')::date, event_type,
               CASE WHEN event_type = 'lesson_link_clicked' THEN details->>'lesson_type' ELSE '' END,
               count(*) FROM events GROUP BY 1, 2, 3"""))
    assert sorted(tuple(r) for r in await pool.fetch("SELECT * FROM daily_events")) == events
    registrations = sorted(tuple(r) for r in await pool.fetch("""
        SELECT (registered_at AT TIME ZONE 'Europe/Moscow')::date, lesson_type, count(*)
        FROM free_lesson_registrations GROUP BY 1, 2"""))
    assert sorted(tuple(r) for r in await pool.fetch(
        "SELECT * FROM daily_registrations")) == registrations
    newcomers = sorted(tuple(r) for r in await pool.fetch("""
        SELECT (first_seen AT TIME ZONE 'Europe/Moscow')::date, count(*) FROM (
            SELECT user_id, min(at) AS first_seen FROM (
                SELECT user_id, created_at AS at FROM bookings
                UNION ALL SELECT user_id, registered_at FROM free_lesson_registrations
                UNION ALL SELECT user_id, created_at FROM events) u
            WHERE user_id IS NOT NULL GROUP BY user_id) f GROUP BY 1"""))
    assert sorted(tuple(r) for r in await pool.fetch(
        "SELECT * FROM daily_users WHERE new_users <> 0")) == newcomers
    bookings = sorted(tuple(r) for r in await pool.fetch("""
        SELECT (created_at AT TIME ZONE 'Europe/Moscow')::date, course_stream, confirmed,
               coalesce(referral_code, ''), count(*) FROM bookings GROUP BY 1, 2, 3, 4"""))
    assert sorted(tuple(r) for r in await pool.fetch(
        "SELECT day, course_stream, confirmed, referral_code, bookings"
        " FROM daily_bookings")) == bookings


async def test_an_earlier_row_arriving_late_moves_the_user_to_their_first_day(
        pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO events (user_id, event_type, created_at)"
                       " VALUES (7, 'menu_opened', '2026-11-20 12:00+03')")
    await summaries.refresh(pool, TZ)
    await pool.execute("INSERT INTO bookings (user_id, course_stream, confirmed, created_at)"
                       " VALUES (7, '4th_stream', 1, '2026-11-18 12:00+03')")
    await summaries.refresh(pool, TZ)
    rows = await pool.fetch("SELECT day::text, new_users FROM daily_users WHERE new_users <> 0")
    assert [tuple(r) for r in rows] == [("2026-11-18", 1)]


async def test_new_rows_are_counted_once_even_by_two_refreshes_at_once(pool: asyncpg.Pool) -> None:
    await fill(pool, users=50, events=500)
    await summaries.refresh(pool, TZ)
    await pool.execute("INSERT INTO events (user_id, username, first_name, event_type, created_at)"
                       " SELECT 999000 + g, 'new' || g, 'Новый', 'menu_opened', now()"
                       " FROM generate_series(1, 30) g")
    reads = await asyncio.gather(summaries.refresh(pool, TZ), summaries.refresh(pool, TZ))
    assert sorted(reads) == [0, 30]
    assert await pool.fetchval("SELECT count(*) FROM user_directory"
                               " WHERE user_id BETWEEN 999001 AND 999030") == 30
    assert await pool.fetchval("SELECT sum(events) FROM daily_events") == 530
    name = await pool.fetchval("SELECT username FROM user_directory WHERE user_id = 999007")
    assert name == "new7"


async def test_another_time_zone_recounts_the_days(pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO events (user_id, event_type, created_at)"
                       " VALUES (1, 'x', '2026-11-20 22:30+00')")  # 21.11 in Moscow, 20.11 in UTC
    await summaries.refresh(pool, TZ)
    assert str(await pool.fetchval("SELECT day FROM daily_events")) == "2026-11-21"
    await summaries.refresh(pool, "UTC")
    assert [str(r[0]) for r in await pool.fetch("SELECT day FROM daily_events")] == ["2026-11-20"]
    assert [str(r[0]) for r in await pool.fetch("SELECT day FROM daily_users")] == ["2026-11-20"]


async def test_overview_numbers_equal_plain_sql(harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = await open_stats(harness, pool)
    text = admin.last().text
    start = datetime.now(ZoneInfo(TZ)).date() - timedelta(days=6)
    since = f"'{start}'::timestamp AT TIME ZONE '{TZ}'"
    users = await pool.fetchval("SELECT count(DISTINCT user_id) FROM (SELECT user_id FROM bookings"
                                " UNION SELECT user_id FROM events UNION SELECT user_id FROM"
                                " free_lesson_registrations) u")
    new = await pool.fetchval(f"""SELECT count(*) FROM (SELECT user_id, min(at) AS first FROM (
        SELECT user_id, created_at AS at FROM bookings UNION ALL
        SELECT user_id, registered_at FROM free_lesson_registrations UNION ALL
        SELECT user_id, created_at FROM events) u GROUP BY user_id) f WHERE first >= {since}""")
    paid = await pool.fetchval(f"SELECT count(*) FROM bookings WHERE confirmed = 2"
                               f" AND created_at >= {since}")
    registrations = await pool.fetchval(
        f"SELECT count(*) FROM free_lesson_registrations WHERE registered_at >= {since}")
    clicks = await pool.fetchval(f"SELECT count(*) FROM events WHERE event_type ="
                                 f" 'lesson_link_clicked' AND created_at >= {since}")
    digits = re.sub(r"(?<=\d)\u202f(?=\d)", "", text)
    assert f"Пользователи: {users}, новых {new}" in digits
    assert f"оплачено {paid}" in digits
    assert (f"Бесплатный урок: {registrations} {form(registrations, 'запись', 'записи', 'записей')}"
            f" → {clicks} {form(clicks, 'переход', 'перехода', 'переходов')} на урок") in digits
    assert f"конверсия {round(clicks / registrations * 100)}%" in digits
    assert "⚠️" not in text  # the data is fresh

    await admin.click("всё время")
    all_time = admin.last()
    assert "Обзор · всё время" in all_time.text
    total = await pool.fetchval("SELECT count(*) FROM bookings")
    assert f"Брони: {total}" in re.sub(r"(?<=\d)\u202f(?=\d)", "", all_time.text)
    assert admin.buttons()[:6] == ["• Обзор", "Потоки", "Урок", "События", "Рефералы",
                                   "Последние"]
    assert admin.buttons()[10] == "• всё время"


async def test_a_booking_paid_later_shows_up_within_the_refresh_job(
        make_harness, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(stats_refresh_seconds=1)
    booking = await pool.fetchval(
        "INSERT INTO bookings (user_id, course_stream, confirmed, created_at)"
        " VALUES (42, '4th_stream', 1, now()) RETURNING id")
    admin = harness.chat(ADMIN_ID)

    async def overview_until(expected: str) -> str:
        for _ in range(150):  # the job runs every second; status changes reach it within ~10 s
            await admin.send("/stats")
            if expected in admin.last().text:
                break
            await asyncio.sleep(0.2)
        return admin.last().text

    assert "Брони: 1 — оплачено 0 · ждут 1" in await overview_until("ждут 1")
    await pool.execute("UPDATE bookings SET confirmed = 2 WHERE id = $1", booking)
    assert "Брони: 1 — оплачено 1 · ждут 0" in await overview_until("оплачено 1")


async def test_a_silent_feed_is_called_out(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO events (user_id, event_type, created_at)"
                       " VALUES (5, 'menu_opened', now() - interval '30 hours')")
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    await admin.click("📊 Статистика")
    assert "⚠️ Новых данных нет 30 ч" in admin.last().text


async def test_streams_and_funnel_screens_equal_plain_sql(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = await open_stats(harness, pool)
    await admin.click("Потоки")
    text = admin.last().text
    for code, title in (("3rd_stream", "3-й поток"), ("4th_stream", "4-й поток")):
        row = await pool.fetchrow(
            "SELECT count(*) AS total, count(*) FILTER (WHERE confirmed = 2) AS paid,"
            " count(*) FILTER (WHERE confirmed = 1) AS pending,"
            " count(*) FILTER (WHERE confirmed = -1) AS cancelled FROM bookings"
            " WHERE course_stream = $1", code)
        assert has_row(text, title, row["total"], row["paid"], row["pending"], row["cancelled"])
    average = await pool.fetchval("SELECT avg(discount_percent) FROM bookings WHERE"
                                  " course_stream = '5th_stream' AND confirmed = 2"
                                  " AND discount_percent > 0")
    assert f"средняя скидка {average:.0f}%" in text

    await admin.click("Урок")
    await admin.click("всё время")
    text = admin.last().text
    rows = await pool.fetch(
        "SELECT r.lesson_type, r.n, coalesce(a.n, 0) AS clicks FROM"
        " (SELECT lesson_type, count(*) n FROM free_lesson_registrations GROUP BY 1) r LEFT JOIN"
        " (SELECT details->>'lesson_type' AS lesson_type, count(*) n FROM events"
        "  WHERE event_type = 'lesson_link_clicked' GROUP BY 1) a USING (lesson_type)")
    for row in rows:
        assert has_row(text, row["lesson_type"], row["n"], row["clicks"])


async def test_events_and_referrals_screens_equal_plain_sql(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = await open_stats(harness, pool)
    await admin.click("События")
    await admin.click("30 дней")
    text = admin.last().text
    start = datetime.now(ZoneInfo(TZ)).date() - timedelta(days=29)
    since = f"'{start}'::timestamp AT TIME ZONE '{TZ}'"
    top = await pool.fetch(f"SELECT event_type, count(*) AS n FROM events WHERE created_at >="
                           f" {since} GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3")
    names = dict(await pool.fetch("SELECT code, label_ru FROM event_labels"))
    for row in top:  # by name
        assert re.search(rf"{names[row['event_type']]}\s+{row['n']}\n", text + "\n")
    assert "По дням (" in text and len(re.findall("[▁▂▃▄▅▆▇█]", text)) == 30

    await admin.click("Рефералы")
    text = admin.last().text
    for row in await pool.fetch(f"SELECT referral_code, count(*) AS n, count(*) FILTER"
                                f" (WHERE confirmed = 2) AS paid FROM bookings WHERE"
                                f" referral_code IS NOT NULL AND created_at >= {since} GROUP BY 1"):
        assert has_row(text, row["referral_code"], row["n"], row["paid"])


async def test_recent_shows_the_newest_rows(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO bookings (user_id, username, first_name, course_stream, confirmed, created_at)"
        " VALUES (1, 'old', 'Старый', '3rd_stream', 2, now() - interval '3 days'),"
        "        (2, 'masha', 'Маша <3', '4th_stream', 1, now())")
    await pool.execute("INSERT INTO events (user_id, first_name, event_type, created_at)"
                       " VALUES (3, 'Иван', 'payment_link_clicked', now())")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    await admin.click("Последние")
    text = admin.last().text
    assert text.index("Маша <3 (@masha) · 4-й поток") < text.index("Старый (@old) · 3-й поток")
    assert "⏳ Маша" in text and "✅ Старый" in text
    assert "Иван · Переход к оплате" in text  # the event by its name
    # each name opens the user card: a start link into this chat
    links = [e["url"] for e in admin.last().entities if e["type"] == "text_link"]
    assert "https://t.me/hsl_admin_bot?start=u2" in links and len(links) == 3
    await admin.send("/start u2")
    assert admin.last().text.startswith("👤 Маша <3 · @masha · 2")


async def test_charts_arrive_as_photos_with_the_figures_in_the_caption(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = await open_stats(harness, pool)
    await admin.click("30 дней")
    await admin.click("📈 Рост")
    photo = admin.last()
    assert photo.kind == "photo" and photo.file.content.startswith(b"\x89PNG")
    users = await pool.fetchval("SELECT count(*) FROM user_directory")
    start = datetime.now(ZoneInfo(TZ)).date() - timedelta(days=29)
    new = await pool.fetchval("SELECT count(*) FROM user_directory WHERE first_seen >="
                              f" '{start}'::timestamp AT TIME ZONE '{TZ}'")
    caption = re.sub(r"(?<=\d)\u202f(?=\d)", "", photo.text)
    assert caption == f"Рост аудитории · 30 дней: всего {users}, новых {new}"
    await admin.click("🎫 Брони")
    paid = await pool.fetchval("SELECT count(*) FROM bookings WHERE confirmed = 2 AND"
                               f" created_at >= '{start}'::timestamp AT TIME ZONE '{TZ}'")
    assert f"оплачено {paid}," in re.sub(r"(?<=\d)\u202f(?=\d)", "", admin.last().text)
    await admin.click("🖱 События")
    assert admin.last().kind == "photo" and admin.last().text.startswith("События по дням")


async def test_daily_digest_is_toggled_from_stats_and_sent_once_a_day(
        harness: BotHarness, pool: asyncpg.Pool, emulator) -> None:  # type: ignore[no-untyped-def]
    from bot.handlers.digest import send_due_digests
    await fill(pool, users=100, events=1000)
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    assert "🔕 Дайджест: выкл" in admin.buttons()
    await admin.click("🔕 Дайджест: выкл")
    assert admin.callback_answer()["text"] == "Дайджест включён: каждый день в 09:00 (Europe/Moscow)."
    assert "🔔 Дайджест: вкл" in admin.buttons()

    from bot.app import BOT_KEY
    bot, settings = harness.app[BOT_KEY], harness.settings
    moscow = ZoneInfo(TZ)
    early = datetime.now(moscow).replace(hour=8, minute=59)
    assert await send_due_digests(pool, bot, settings, early) == []
    nine = early.replace(hour=9, minute=0, second=30)
    assert await send_due_digests(pool, bot, settings, nine) == [ADMIN_ID]
    assert await send_due_digests(pool, bot, settings, nine + timedelta(hours=3)) == []  # once
    digest, chart = admin.messages()[-2:]
    assert digest.text.startswith("🗞 Дайджест") and "Обзор · вчера" in digest.text
    assert chart.kind == "photo" and chart.text == "Рост аудитории за 30 дней"
    tomorrow = nine + timedelta(days=1)
    assert await send_due_digests(pool, bot, settings, tomorrow) == [ADMIN_ID]


async def test_digest_time_is_picked_or_typed(harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    await admin.click("🕘 в 09:00")
    assert "Во сколько присылать дайджест? Сейчас: 09:00" in admin.last().text
    assert admin.buttons() == ["07:00", "08:00", "• 09:00", "10:00", "12:00", "18:00", "20:00",
                               "22:00", "⬅️ Назад", "✖️ Отмена"]
    await admin.click("08:00")
    assert admin.callback_answer()["text"] == "Дайджест включён: каждый день в 08:00 (Europe/Moscow)."
    assert {"🔔 Дайджест: вкл", "🕘 в 08:00"} <= set(admin.buttons())

    await admin.click("🕘 в 08:00")
    await admin.send("25:00")
    assert admin.last().text == "Не понял время. Напишите, например, 8:30 или 21:00."
    await admin.send("7.45")
    assert admin.messages()[-2].text == \
        "✅ Дайджест включён: каждый день в 07:45 (Europe/Moscow)."
    assert "🕘 в 07:45" in admin.buttons()
    row = await pool.fetchrow("SELECT digest_enabled, digest_time::text FROM admin_preferences"
                              " WHERE admin_id = $1", ADMIN_ID)
    assert tuple(row) == (True, "07:45:00")
    await admin.send("8:00")  # no longer asked: an ordinary message
    assert "07:45" in (await pool.fetchval("SELECT digest_time::text FROM admin_preferences"))


def test_tables_fit_a_phone_and_stay_aligned() -> None:
    from bot.views.stats import PHONE_COLUMNS, _table
    table = _table(("Урок", "Зап.", "Приш.", "Конв."),
                   [("vibe_coding_intro_extended", 1234567, 61374, "22%"), ("ai", 5, 0, "0%")])
    lines = table.removeprefix("<pre>").removesuffix("</pre>").split("\n")
    assert all(len(line) == PHONE_COLUMNS for line in lines)
    assert lines[1] == "vibe_coding_i… 1234567 61374   22%"
    assert lines[2].endswith("      5     0    0%")


async def test_paid_people_and_paid_bookings_are_told_apart(harness: BotHarness,
                                                          pool: asyncpg.Pool) -> None:
    """One person with two paid bookings in a stream: one person on the overview, two bookings
    on the streams screen, and each screen says which it counts."""
    await pool.execute(
        "INSERT INTO bookings (user_id, course_stream, confirmed, created_at) VALUES"
        " (1, '4th_stream', 2, now()), (1, '4th_stream', 2, now()), (2, '4th_stream', 1, now())")
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/stats")
    assert "💳 Оплатили (людей, за всё время): 3-й поток 0 · 4-й поток 1 · 5-й поток 0" in \
        admin.last().text
    await admin.click("Потоки")
    text = admin.last().text
    assert has_row(text, "4-й поток", 3, 2, 1, 0)
    assert "«Опл.» — оплаченные брони" in text and "«Оплатили (людей)» в обзоре" in text
