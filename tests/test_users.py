"""Users: search (typos, both alphabets, @username, id, e-mail), the card, its actions with a
question and an audit entry, lists with CSV, streams, the audit log."""

from __future__ import annotations

import asyncpg
import pytest

from bot.db import summaries
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, STRANGER_ID, BotHarness

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

TZ = "Europe/Moscow"


async def seed(pool: asyncpg.Pool) -> None:
    await pool.execute("""
        INSERT INTO bookings (id, user_id, username, first_name, course_id, course_stream,
                              confirmed, created_at, referral_code, discount_percent) VALUES
            (1, 1001, 'katya_k', 'Екатерина', 1, '4th_stream', 2, now() - interval '3 days',
             'FRIEND10', 10),
            (2, 1002, 'alex_dev', 'Alexey', 1, '5th_stream', 1, now() - interval '2 days', NULL, 0),
            (3, 1003, NULL, 'Мария', 1, '3rd_stream', -1, now() - interval '9 days', NULL, 0);
        SELECT setval(pg_get_serial_sequence('bookings', 'id'), 10);
        INSERT INTO free_lesson_registrations (user_id, username, first_name, email, lesson_type,
                                               registered_at) VALUES
            (1001, 'katya_k', 'Катя', 'katya@example.com', 'ai_agents', now() - interval '5 days'),
            (1004, 'maria_s', 'Maria', 'maria.s@example.com', 'vibe_coding_intro', now());
        INSERT INTO events (user_id, username, first_name, event_type, created_at, details)
        SELECT 1001, 'katya_k', 'Екатерина', 'menu_opened', now() - g * interval '1 hour', NULL
        FROM generate_series(1, 20) g;
        INSERT INTO events (user_id, username, first_name, event_type, created_at) VALUES
            (1005, 'a_b\\c', 'Иван "Ваня"', 'bot_start', now());""")
    await summaries.refresh(pool, TZ)


async def find(harness: BotHarness, text: str) -> str:
    admin = harness.chat(ADMIN_ID)
    await admin.send(f"/find {text}")
    return admin.last().text


async def test_search_by_name_with_a_typo_username_id_and_email(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    # a typo in a Cyrillic name: one match, so the card opens at once
    assert "👤 Екатерина · @katya_k · 1001" in await find(harness, "Екатерна")
    assert "👤 Екатерина" in await find(harness, "@KATYA_K")
    assert "👤 Alexey · @alex_dev · 1002" in await find(harness, "1002")
    assert "👤 Екатерина" in await find(harness, "katya@example.com")
    # both alphabets: "Мария" also finds Maria, best (exact name) first, as buttons
    text = await find(harness, "мария")
    assert "найдено 2" in text
    assert set(admin.buttons()[:2]) == {"Мария · 1003", "Maria · @maria_s · 1004"}
    await admin.click("Maria · @maria_s · 1004")
    assert "✉️ maria.s@example.com" in admin.last().text


async def test_the_card_shows_what_the_database_holds(harness: BotHarness,
                                                      pool: asyncpg.Pool) -> None:
    await seed(pool)
    card = await find(harness, "@katya_k")
    assert "Также: Катя" in card
    assert "📚 Поток: <b>4-й поток</b>" not in card  # plain text in the emulator
    assert "📚 Поток: 4-й поток" in card
    assert "#1 4-й поток — ✅ оплачена" in card and "код FRIEND10, скидка 10%" in card
    assert "🎓 Бесплатный урок: ai_agents" in card
    assert "🖱 Событий: 20" in card
    assert "📬 Бот может написать" in card
    admin = harness.chat(ADMIN_ID)
    await admin.click("🖱 События")
    assert "События · Екатерина · 20, страница 1/2" in admin.last().text
    await admin.click("▶️")
    assert "страница 2/2" in admin.last().text


async def test_change_stream_asks_first_and_is_audited(harness: BotHarness,
                                                       pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await find(harness, "@katya_k")
    await admin.click("🔀 Сменить поток")
    assert "🔀 Екатерина · бронь #1\nСейчас: 4-й поток" in admin.last().text
    assert admin.buttons() == ["3-й поток", "5-й поток", "⬅️ Отмена"]
    await admin.click("5-й поток")
    assert "Сейчас: 4-й поток\nБудет: 5-й поток\n\nСменить поток?" in admin.last().text
    await admin.click("Отмена")  # nothing changes
    assert await pool.fetchval("SELECT course_stream FROM bookings WHERE id = 1") == "4th_stream"
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log") == 0

    await admin.click("🔀 Сменить поток")
    await admin.click("5-й поток")
    await admin.click("Да, перевести")
    assert admin.callback_answer()["text"] == "Готово: 5-й поток."
    assert "📚 Поток: 5-й поток" in admin.last().text
    assert await pool.fetchval("SELECT course_stream FROM bookings WHERE id = 1") == "5th_stream"
    entry = await pool.fetchrow("SELECT admin_id, action, target, details FROM admin_audit_log")
    assert (entry["admin_id"], entry["action"], entry["target"]) == (
        ADMIN_ID, "user.change_stream", "1001")
    assert entry["details"] == {"booking_id": 1, "from": "4th_stream", "to": "5th_stream"}
    await admin.send("/audit")  # the admin, the person and the streams by name
    assert " · Анна · смена потока · Екатерина · @katya_k · 1001\n" \
           "    бронь #1: 4-й поток → 5-й поток" in admin.last().text
    assert admin.buttons()[:3] == ["• Все", "Анна", "502"]  # the other admin never wrote


async def test_a_forged_move_or_a_cancelled_booking_changes_nothing(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    from bot.keyboards.users import MoveCallback
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await find(harness, "Мария")
    await admin.click("Мария · 1003")
    assert "🔀 Сменить поток" not in admin.buttons()  # her only booking is cancelled
    # a forged press: Мария's cancelled booking, to an archived/unknown stream
    await harness.emulator.press_forged(harness.token, ADMIN_ID, MoveCallback(
        user_id=1003, booking_id=3, to="5th_stream", sure=True).pack())
    await harness.settle()
    assert await pool.fetchval("SELECT course_stream FROM bookings WHERE id = 3") == "3rd_stream"
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log") == 0


async def test_confirming_a_payment(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await find(harness, "@alex_dev")
    await admin.click("🎫 Брони")
    assert admin.buttons()[:2] == ["✅ Оплачено · #2", "✖️ Отменить · #2"]
    await admin.click("✅ Оплачено · #2")
    assert admin.last().text == "Подтвердить оплату брони #2 (5-й поток)?\n👤 Alexey"
    await admin.click("Да")
    assert admin.callback_answer()["text"] == "Оплата брони #2 подтверждена."
    assert await pool.fetchval("SELECT confirmed FROM bookings WHERE id = 2") == 2
    assert await pool.fetchval("SELECT action FROM admin_audit_log") == "booking.status"


async def test_awkward_search_text_is_handled(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    assert "никого не нашёл" in await find(harness, "%")
    assert "найдено 4." in await find(harness, "_")  # the four @usernames with "_", not all 5
    assert "никого не нашёл" in await find(harness, "'; DROP TABLE bookings; --")
    assert "👤 Иван \"Ваня\"" in await find(harness, "a_b\\c")
    assert "👤 Иван" in await find(harness, '"Ваня"')
    await admin.send("/find " + "я" * 4000)
    assert admin.last().text.startswith("Слишком длинный запрос (4\u202f000 символов)")
    assert await pool.fetchval("SELECT count(*) FROM bookings") == 3


async def test_a_stranger_gets_nothing(harness: BotHarness, pool: asyncpg.Pool,
                                       emulator: Emulator) -> None:
    await seed(pool)
    stranger = harness.chat(STRANGER_ID)
    await stranger.send("/find Екатерина")
    assert stranger.messages() == []  # not even an answer: strangers get one line for /start
    await stranger.send("/start")
    [line] = stranger.messages()
    assert "служит администраторам" in line.text and "1001" not in line.text
    assert "1001" in await find(harness, "Екатерина")  # what an admin is shown


async def test_lists_with_csv(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(pool)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    await admin.click("👥 Пользователи")
    await admin.click("⏳ Ждут оплаты")
    assert admin.last().text.startswith("⏳ Ждут оплаты: 1 человек.")
    assert admin.buttons()[0] == "Alexey · @alex_dev · 1002"
    await admin.click("📄 CSV")
    document = admin.last()
    assert document.kind == "document" and "pending.csv: 1 человек." in document.text
    assert document.file.content.decode("utf-8-sig").splitlines() == [  # type: ignore[union-attr]
        "user_id,username,first_name,email", "1002,alex_dev,Alexey,"]
    await admin.send("/find")
    await admin.click("🧲 Лиды")
    assert admin.last().text.startswith("🧲 Лиды — без оплаченной брони: 4 человека.")


async def test_streams_add_rename_archive(harness: BotHarness, pool: asyncpg.Pool) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/streams")
    await admin.click("➕ Добавить поток")
    await admin.send("6-й")
    assert "латинские строчные буквы" in admin.last().text
    await admin.send("6th_stream")
    await admin.send("6-й поток")
    assert "6-й поток · 0" in admin.buttons()
    await admin.click("6-й поток · 0")
    await admin.click("✏️ Переименовать")
    await admin.send("Шестой поток")
    await admin.click("Шестой поток · 0")
    await admin.click("🗄 В архив")
    await admin.click("Да, в архив")
    assert not any("Шестой" in b for b in admin.buttons())
    assert await pool.fetchval("SELECT archived_at IS NOT NULL FROM course_streams"
                               " WHERE code = '6th_stream'")
    actions = [r[0] for r in await pool.fetch("SELECT action FROM admin_audit_log ORDER BY id")]
    assert actions == ["stream.add", "stream.rename", "stream.archive"]
    await admin.send("/broadcast")
    assert not any("Шестой" in b for b in admin.buttons())


async def test_a_personal_message_goes_through_the_engine_and_shows_on_the_card(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    from support import wait_status
    await seed(pool)
    emulator.user(1002, "Alexey")
    await harness.chat(1002, "Alexey").send("/start")  # Alexey has started the course bot
    admin = harness.chat(ADMIN_ID)
    await find(harness, "@alex_dev")
    await admin.click("✉️ Написать")
    assert "Аудитория: Alexey · @alex_dev · 1002 — 1 человек." in admin.last().text
    await emulator.send_text(harness.token, ADMIN_ID, "Привет, {first_name}! Оплата прошла?",
                             entities=[{"type": "bold", "offset": 0, "length": 6}])
    await harness.settle()
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    await wait_status(pool, broadcast_id, "done")
    assert emulator.bot_messages(harness.token, 1002)[-1].text == "Привет, Alexey! Оплата прошла?"
    await admin.send("/find @alex_dev")
    card = admin.last().text  # the text as it was read, its bold not shown as escaped tags
    assert f"#{broadcast_id} «Привет, {{first_name}}! Оплата прошла?» — доставлено" in card
    assert "&lt;" not in card and "<b>" not in card


async def test_a_new_user_is_findable_once_the_job_has_read_them(
        make_harness, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    harness = await make_harness(stats_refresh_seconds=1)
    await pool.execute("INSERT INTO events (user_id, username, first_name, event_type)"
                       " VALUES (4242, 'newbie', 'Фёдор', 'bot_start')")
    admin = harness.chat(ADMIN_ID)
    for _ in range(40):
        await asyncio.sleep(0.5)
        await admin.send("/find федор")
        if "👤 Фёдор · @newbie · 4242" in admin.last().text:
            break
    assert "👤 Фёдор · @newbie · 4242" in admin.last().text


async def test_the_card_says_when_the_bot_cannot_reach_someone(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await seed(pool)
    await emulator.set_blocked(harness.token, 1002)  # Alexey blocks the bot
    await harness.settle()
    assert "🚫 Бот не может написать: заблокировал бота" in await find(harness, "@alex_dev")


async def test_everyone_and_leads_are_counted_exactly_before_the_directory_catches_up(
        pool: asyncpg.Pool) -> None:
    from bot.db import audiences
    from bot.db.audiences import Audience
    from bot.db.reachability import mark_unreachable
    await seed(pool)  # read into the directory
    await pool.execute("INSERT INTO events (user_id, event_type) VALUES (2001, 'bot_start'),"
                       " (1001, 'menu_opened')")  # not read yet: 2001 is new
    await mark_unreachable(pool, [1001, 2001, 1002], [
        "blocked the bot", "Forbidden: bot can't initiate conversation with a user",
        "blocked the bot"])
    everyone = await pool.fetchval("SELECT count(DISTINCT user_id) FROM (SELECT user_id FROM"
                                   " bookings UNION SELECT user_id FROM events UNION SELECT"
                                   " user_id FROM free_lesson_registrations) u")
    paid = {r[0] for r in await pool.fetch("SELECT user_id FROM bookings WHERE confirmed = 2")}
    assert await audiences.count(pool, Audience("all")) == (everyone, 3, 1, 0)  # 0 unsubscribed
    assert 2001 not in paid  # the one who never started the bot is a lead
    assert await audiences.count(pool, Audience("leads")) == (
        everyone - len(paid), len({1001, 2001, 1002} - paid), 1, 0)
    listed = {r["user_id"] for r in await audiences.page(pool, Audience("leads"), None)}
    assert len(listed) == everyone - len(paid) and 2001 in listed and 1001 not in listed
    pages = [[r["user_id"] for r in await audiences.page(pool, Audience("leads"), 2, offset)]
             for offset in range(0, len(listed), 2)]
    assert sum(pages, []) == sorted(listed)  # pages in user id order, newcomers in their place


async def test_many_matches_are_paged(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO events (user_id, username, first_name, event_type)"
                       " SELECT 3000 + g, NULL, 'Анна', 'bot_start' FROM generate_series(1, 20) g")
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    assert await find(harness, "анна") == ("🔎 «анна»: найдено 20, страница 1 из 3. "
                                           "Откройте карточку:")
    # the page number is in the text: no button that does nothing when pressed
    assert admin.buttons()[8:] == ["▶️", "⬅️ Пользователи"]
    assert all(b.startswith("Анна · ") for b in admin.buttons()[:8])
    await admin.click("▶️")
    assert admin.last().text == "🔎 «анна»: найдено 20, страница 2 из 3. Откройте карточку:"
    assert admin.buttons()[8:] == ["◀️", "▶️", "⬅️ Пользователи"]
    await admin.click("▶️")
    assert admin.buttons()[4:] == ["◀️", "⬅️ Пользователи"]


async def test_a_broadcast_snapshot_names_people_from_the_directory_and_unread_rows(
        pool: asyncpg.Pool) -> None:
    from bot.db.audiences import Audience, members_sql
    await seed(pool)
    await pool.execute("INSERT INTO bookings (user_id, username, first_name, course_stream,"
                       " confirmed) VALUES (5005, 'newbie', 'Новичок', '4th_stream', 2)")
    sql, args = members_sql(Audience("stream", stream="4th_stream"), 1)
    rows = {r["user_id"]: (r["username"], r["first_name"]) for r in await pool.fetch(sql, *args)}
    assert rows == {1001: ("katya_k", "Екатерина"), 5005: ("newbie", "Новичок")}


async def test_exact_matches_come_first_and_every_match_is_counted(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    # 300 people whose name only contains "мария", then 7 called exactly that: all 7 lead
    await pool.execute("""
        INSERT INTO events (user_id, username, first_name, event_type)
        SELECT 6000 + g, NULL, 'Марианна', 'bot_start' FROM generate_series(1, 300) g;
        INSERT INTO events (user_id, username, first_name, event_type)
        SELECT 7000 + g, NULL, CASE WHEN g % 2 = 0 THEN 'Мария' ELSE 'Maria' END, 'bot_start'
        FROM generate_series(1, 7) g""")
    await summaries.refresh(pool, TZ)
    admin = harness.chat(ADMIN_ID)
    assert await find(harness, "мария") == (
        "🔎 «мария»: найдено 307, листать можно лучшие 200 (уточните запрос, если нужного нет)"
        ", страница 1 из 25. Откройте карточку:")
    assert sorted(admin.buttons()[:7]) == sorted(
        f"{'Мария' if g % 2 == 0 else 'Maria'} · {7000 + g}" for g in range(1, 8))
    assert admin.buttons()[7].startswith("Марианна · ")
    # beyond what is counted exactly, the count says so
    await pool.execute("INSERT INTO events (user_id, username, first_name, event_type)"
                       " SELECT 8000 + g, NULL, 'Марианна', 'bot_start'"
                       " FROM generate_series(1, 700) g")
    await summaries.refresh(pool, TZ)
    assert (await find(harness, "мария")).startswith(
        "🔎 «мария»: найдено больше 1\u202f000, листать можно лучшие 200")
    assert sorted(admin.buttons()[:7]) == sorted(
        f"{'Мария' if g % 2 == 0 else 'Maria'} · {7000 + g}" for g in range(1, 8))


async def test_digits_find_the_id_and_everyone_they_are_part_of(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    from bot.db import users
    await pool.execute("""
        INSERT INTO events (user_id, username, first_name, event_type) VALUES
            (5484, 'petr', 'Пётр', 'bot_start'), (9001, 'ivan_5484', 'Иван', 'bot_start'),
            (9002, 'olga_15484', 'Ольга', 'bot_start'), (9003, 'anna_548', 'Анна', 'bot_start');
        INSERT INTO free_lesson_registrations (user_id, username, first_name, email)
        VALUES (9004, NULL, 'Kate', 'k5484@example.com')""")
    await summaries.refresh(pool, TZ)
    found, total = await users.search(pool, "5484", 8)
    assert total == 5
    assert found[0].user_id == 5484 and found[0].exact
    assert {f.user_id for f in found[1:4]} == {9001, 9002, 9004}  # the digits in them
    assert found[4].user_id == 9003  # a near spelling ("548") last
    assert not any(f.exact for f in found[1:])
    # the id opens the card; digits that are nobody's id list who has them
    assert "👤 Пётр · @petr · 5484" in await find(harness, "5484")
    assert "👤 Ольга · @olga_15484 · 9002" in await find(harness, "15484")
    assert await find(harness, "548") == "🔎 «548»: найдено 4. Откройте карточку:"


async def test_short_and_odd_queries_find_substrings(harness: BotHarness,
                                                     pool: asyncpg.Pool) -> None:
    from bot.db import users
    await seed(pool)
    # one or two letters, or no three letters in a row: no trigram to look up
    assert {f.user_id for f in (await users.search(pool, "ия", 8))[0]} == {1003, 1004}
    assert {f.user_id for f in (await users.search(pool, "a_k", 8))[0]} == {1001}
    assert {f.user_id for f in (await users.search(pool, "s@", 8))[0]} == {1004}
    assert (await users.search(pool, "ъ", 8)) == ([], 0)
    assert (await users.search(pool, "zq", 8)) == ([], 0)
    # several words: each somewhere in the name, @username or e-mail, in any order
    assert {f.user_id for f in (await users.search(pool, "example maria", 8))[0]} == {1004}
    assert {f.user_id for f in (await users.search(pool, "катя екатерина", 8))[0]} == {1001}


async def test_writing_to_someone_the_bot_cannot_reach_warns_first(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    from support import wait_status
    await seed(pool)
    await pool.execute("INSERT INTO unreachable_users (user_id, reason) VALUES"
                       " (1002, 'Forbidden: bot can''t initiate conversation with a user')")
    await harness.chat(1002, "Alexey").send("/start")  # since then, Alexey has started it
    admin = harness.chat(ADMIN_ID)
    await find(harness, "@alex_dev")
    assert "🚫 Бот не может написать: не запускал бот курса" in admin.last().text
    await admin.click("✉️ Написать")
    assert admin.last().text.startswith(
        "⚠️ Alexey · @alex_dev · 1002: бот курса не может написать — не запускал бот курса")
    assert admin.buttons() == ["✉️ Всё равно написать", "⬅️ К карточке"]
    assert await pool.fetchval("SELECT count(*) FROM unreachable_users") == 1
    await admin.click("✉️ Всё равно написать")
    assert "Пришлите сообщение для рассылки" in admin.last().text
    await admin.send("Попробуем ещё раз")
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    await wait_status(pool, broadcast_id, "done")
    assert emulator.bot_messages(harness.token, 1002)[-1].text == "Попробуем ещё раз"
