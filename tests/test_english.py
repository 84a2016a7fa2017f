"""The interface in English for an admin whose Telegram is set to English, walked screen by
screen: every text, button and alert the bot shows is English (the data aside), including
what it writes outside an update (a broadcast's progress, the digest)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.db import summaries
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, SECOND_ADMIN_ID, STRANGER_ID, BotHarness, ChatClient
from support import add_members, wait_status, wait_until

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats

TZ = "Europe/Moscow"
CYRILLIC = re.compile("[\u0400-\u04ff]+")
MENU_EN = ["📊 Statistics", "👥 Users", "📣 Broadcast", "🕒 Scheduled", "🗂 History",
           "📚 Streams", "📜 Audit log", "👮 Team", "🩺 Health"]


class Reader:
    """Everything the admin has been shown: texts, buttons and alerts, screen after screen."""

    def __init__(self, chat: ChatClient) -> None:
        self.chat, self.shown = chat, []

    def look(self) -> str:
        message = self.chat.last()
        self.shown += [message.text or "", *self.chat.buttons()]
        return message.text or ""

    async def send(self, text: str) -> str:
        await self.chat.send(text)
        return self.look()

    async def click(self, text: str) -> str:
        await self.chat.click(text)
        answer = self.chat.callback_answer().get("text")
        if answer:
            self.shown.append(answer)
        return self.look()

    def russian(self) -> list[str]:
        return [f"{word!r} in {text!r}" for text in self.shown for word in CYRILLIC.findall(text)]


async def latin_data(pool: asyncpg.Pool) -> None:
    """Platform data without a Cyrillic letter, so that any Russian on screen is the bot's."""
    await pool.execute("""
        UPDATE course_streams SET title = 'Stream ' || substr(code, 1, 1);
        INSERT INTO bookings (user_id, username, first_name, course_id, course_stream, confirmed,
                              referral_code, discount_percent, created_at) VALUES
            (1001, 'kate_k', 'Kate', 1, '4th_stream', 2, 'FRIEND10', 10, now() - interval '3 days'),
            (1002, 'alex_dev', 'Alex', 1, '5th_stream', 1, NULL, 0, now() - interval '2 days');
        INSERT INTO free_lesson_registrations (user_id, username, first_name, email, lesson_type)
            VALUES (1001, 'kate_k', 'Kate', 'kate@example.com', 'ai_agents');
        INSERT INTO events (user_id, username, first_name, event_type, created_at)
        SELECT 1001, 'kate_k', 'Kate', 'menu_opened', now() - g * interval '1 hour'
        FROM generate_series(1, 12) g;""")
    await add_members(pool, 3, first_name="Sam")
    await summaries.refresh(pool, TZ)


async def test_every_screen_reads_in_english(harness: BotHarness, pool: asyncpg.Pool,
                                             emulator: Emulator) -> None:
    await latin_data(pool)
    me = Reader(harness.chat(ADMIN_ID, "Ann", language_code="en"))
    assert (await me.send("/start")).startswith("Hello, Ann! This is the admin panel")
    assert me.chat.buttons() == MENU_EN

    assert "📊 Overview · 7 days" in await me.click("📊 Statistics")
    for screen in ("Streams", "Lesson", "Events", "Referrals", "Recent", "Overview"):
        await me.click(screen)
    await me.click("all time")
    assert "👥 Users: 5" in me.look()
    await me.click("🔕 Digest: off")
    assert me.chat.callback_answer()["text"] == "Digest on: every day at 09:00 (Europe/Moscow)."
    await me.click("🕘 at 09:00")
    await me.send("8.30")
    assert me.chat.messages()[-2].text == "✅ Digest on: every day at 08:30 (Europe/Moscow)."
    await me.click("📈 Growth")
    assert me.chat.last().kind == "photo" and me.chat.last().text.startswith("Audience growth")

    assert "Type a name, @username, id or e-mail" in await me.send("/find")
    assert "👤 Kate · @kate_k · 1001" in await me.send("kate")
    assert "With us since" in me.look() and "📚 Stream: Stream 4" in me.look()
    await me.click("🖱 Events")
    await me.click("⬅️ To the card")
    await me.click("🔀 Change stream")
    assert "Move to which stream?" in me.look()
    await me.click("Stream 3")
    await me.click("Yes, move")
    assert me.chat.callback_answer()["text"] == "Done: Stream 3."
    await me.click("⬅️ Users")
    assert await me.click("🧲 Leads") == "🧲 Leads — no paid booking: 1 person."
    assert await me.send("/find " + "x" * 70) == (
        "The query is too long (70 characters). 64 are enough to search: a name, @username, "
        "id or e-mail.")

    await me.send("/streams")
    await me.click("Stream 4 · 3")
    assert "Paid: 3, awaiting payment: 0" in me.look()
    await me.click("🗄 Archive")
    assert "Archive “Stream 4”?" in me.look()
    await me.click("Cancel")
    await me.send("/audit")
    assert "stream changed · Kate · @kate_k · 1001" in me.look()
    assert "booking #1: Stream 4 → Stream 3" in me.look()
    await me.send("/menu")
    assert "Migrations: all applied" in await me.click("🩺 Health")

    await me.send("/broadcast")
    assert me.look().startswith("📣 New broadcast\nWho should get it?")
    await me.click("Stream 4 · 3")
    assert "Send the message to broadcast" in me.look()
    await emulator.send_text(harness.token, ADMIN_ID, "Lesson at 19:00")
    await harness.settle()
    assert "Check the broadcast" in me.look() and "Stream 4 — 3 people." in me.look()
    await me.click("🕒 Schedule")
    assert "has already passed. Give a time in the future" in await me.send("yesterday 10:00")
    assert (await me.send("whenever")).startswith("I didn't understand the time. Write, for "
                                                  "example: “tomorrow 18:00”")
    scheduled = await me.send("in 2 hours")
    assert scheduled.startswith("🕒 Broadcast #1 is scheduled for")
    await me.send("/scheduled")
    await me.click(me.chat.buttons()[0])
    assert "Audience: Stream 4" in me.look()
    await me.click("🚀 Send now")
    await wait_status(pool, 1, "done")
    # the engine's last edit of the progress message, written by the engine, not a handler
    await wait_until(lambda: "✅ Broadcast #1 finished" in me.look(), 10)
    await me.send("/history")
    await me.click(me.chat.buttons()[0])
    assert "Delivered" in me.look() and "Started" in me.look()
    await me.send("/cancel")
    assert (await me.send("hello?")).startswith("🔎 Nobody found for “hello?”.")  # a search
    assert await me.send("/hello") == "I didn't understand that. Choose a section from the menu:"

    assert me.russian() == []


async def test_commands_in_both_languages(harness: BotHarness) -> None:
    commands = harness.emulator.bot(harness.token).commands
    russian, english = commands[f"chat:{ADMIN_ID}"], commands[f"chat:{ADMIN_ID}/en"]
    assert [c["command"] for c in russian] == [c["command"] for c in english]
    assert russian[0]["description"] == "Главное меню"
    assert english[0]["description"] == "Main menu"
    assert not CYRILLIC.search(" ".join(c["description"] for c in english))


async def test_two_admins_in_two_languages_at_once(harness: BotHarness) -> None:
    english = harness.chat(ADMIN_ID, language_code="en")
    russian = harness.chat(SECOND_ADMIN_ID, language_code="ru")
    await asyncio.gather(*(chat.send("/menu") for chat in (english, russian) for _ in range(3)))
    assert [m.text for m in english.messages()] == ["Main menu\nChoose a section:"] * 3
    assert [m.text for m in russian.messages()] == ["Главное меню\nВыберите раздел:"] * 3


@pytest.mark.parametrize("language_code", ["en", "en-gb", "de", None])
async def test_language_follows_telegram_and_is_kept_for_later(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        language_code: str | None) -> None:
    """English for English (any region); Russian for any other language. The admin's language
    is stored for what the bot writes later, and follows a change of it in Telegram."""
    from bot.app import BOT_KEY
    from bot.handlers.digest import send_due_digests

    admin = harness.chat(ADMIN_ID, language_code=language_code)  # type: ignore[arg-type]
    await admin.send("/stats")
    english = (language_code or "").startswith("en")
    assert admin.last().text.startswith("📊 Overview" if english else "📊 Обзор")
    await admin.click("🔕 Digest: off" if english else "🔕 Дайджест: выкл")
    assert await pool.fetchval("SELECT locale FROM admin_preferences WHERE admin_id = $1",
                               ADMIN_ID) == ("en" if english else "ru")
    nine = datetime.now(ZoneInfo(TZ)).replace(hour=9, minute=0, second=30)
    await send_due_digests(pool, harness.app[BOT_KEY], harness.settings, nine)
    digest, chart = admin.messages()[-2:]
    assert digest.text.startswith("🗞 Digest" if english else "🗞 Дайджест")
    assert chart.text == ("Audience growth over 30 days" if english else
                          "Рост аудитории за 30 дней")

    emulator.user(ADMIN_ID, "Анна", None, "ru" if english else "en")  # the admin switches
    await admin.send("/menu")
    assert admin.last().text.startswith("Главное меню" if english else "Main menu")
    assert await pool.fetchval("SELECT locale FROM admin_preferences WHERE admin_id = $1",
                               ADMIN_ID) == ("ru" if english else "en")


async def test_an_apology_and_a_stranger_in_english(harness: BotHarness,
                                                     pool: asyncpg.Pool) -> None:
    admin = harness.chat(ADMIN_ID, language_code="en")
    await pool.execute("ALTER TABLE daily_users RENAME TO daily_users_gone")
    await admin.send("/stats")
    assert admin.last().text == ("⚠️ The action failed. Please try again; the error has been "
                                 "logged.")
    stranger = harness.chat(STRANGER_ID, "Peter", language_code="en")
    await stranger.send("/start")
    assert stranger.last().text == ("This bot is for the course's admins. If you are a student, "
                                    "please write to the course bot.")
