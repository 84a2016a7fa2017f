"""An admin and a stranger using the bot through the real webhook, Telegram emulated."""

from __future__ import annotations

import json

import pytest
from aiohttp import ClientSession

from bot.db.migrate import load_migrations
from bot.web import POOL_KEY
from bot.sandbox.harness import (ADMIN_ID, MENU, SECOND_ADMIN_ID, STRANGER_ID, WEBHOOK_SECRET,
                                 BotHarness)

# the admin's screens, not Telegram's pacing: see the marker in pyproject.toml
pytestmark = pytest.mark.unpaced_chats


async def test_admin_start_gets_the_menu(harness: BotHarness) -> None:
    admin = harness.chat(ADMIN_ID, "Анна")
    await admin.send("/start")

    menu = admin.last()
    assert "Здравствуйте, Анна!" in menu.text
    assert admin.buttons() == MENU


async def test_stranger_gets_one_polite_line_and_nothing_else(harness: BotHarness) -> None:
    stranger = harness.chat(STRANGER_ID, "Пётр")
    await stranger.send("/start")
    await stranger.send("/menu")
    await stranger.send("покажи статистику")

    messages = stranger.messages()
    assert len(messages) == 1
    assert "администраторам" in messages[0].text
    assert messages[0].reply_markup is None


async def test_stranger_pressing_a_forged_menu_button_gets_nothing(harness: BotHarness) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    emu, bot = harness.emulator, harness.emulator.bot(harness.token)
    calls_before = len(emu.calls)
    # a callback query the stranger could only have forged: it names the admin's message
    update = {"update_id": 9_000_001, "callback_query": {
        "id": "forged-1", "chat_instance": "x", "data": "menu:status",
        "from": {"id": STRANGER_ID, "is_bot": False, "first_name": "Пётр"},
        "message": {"message_id": admin.last().message_id, "date": 1,
                    "chat": {"id": STRANGER_ID, "type": "private"}, "text": "x"}}}
    status = await emu.post_webhook(bot, json.dumps(update).encode(),
                                    {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    await harness.settle()

    assert status == 200
    assert emu.calls[calls_before:] == []  # not even an answerCallbackQuery
    assert harness.chat(STRANGER_ID).messages() == []


async def test_menu_sections_open_in_place_and_lead_back(harness: BotHarness, pool) -> None:
    await pool.execute(
        "INSERT INTO bookings (user_id, course_stream, confirmed) VALUES"
        " (1, '4th_stream', 2), (2, '4th_stream', 2), (2, '4th_stream', 2), (3, '4th_stream', 1),"
        " (4, '3rd_stream', -1)")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    menu_id = admin.last().message_id

    await admin.click("📚 Потоки")
    screen = admin.last()
    assert screen.message_id == menu_id  # edited in place, no new message
    assert "4-й поток · 2 человека оплатили, 1 ждёт оплаты" in screen.text
    assert "3-й поток · 0 человек оплатили" in screen.text
    assert admin.callback_answer()["answered"]

    await admin.click("🔄 Обновить")  # nothing changed: "not modified" must not surface
    assert admin.callback_answer()["answered"]
    assert "Не получилось" not in admin.transcript()

    await admin.click("⬅️ Меню")
    await admin.click("🩺 Состояние")
    status = admin.last()
    assert status.message_id == menu_id
    assert "PostgreSQL" in status.text
    assert f"все применены ({len(load_migrations())})" in status.text
    assert "Бронирования" in status.text and "5" in status.text
    assert len(admin.messages()) == 1


async def test_cancel_and_menu_commands(harness: BotHarness) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/cancel")
    assert admin.last().text.startswith("Отменять нечего.")
    await admin.send("/menu")
    assert admin.last().text.startswith("Главное меню")
    assert admin.buttons() == MENU


async def test_admin_commands_are_registered_for_admins_only(harness: BotHarness) -> None:
    commands = harness.emulator.bot(harness.token).commands
    for admin_id in (ADMIN_ID, SECOND_ADMIN_ID):
        assert [c["command"] for c in commands[f"chat:{admin_id}"]] == [
            "menu", "stats", "find", "broadcast", "scheduled", "history", "streams", "audit", "team",
            "cancel"]
    assert "default" not in commands  # strangers see no command menu
    hook = harness.emulator.bot(harness.token).webhook
    assert hook.url == harness.url + "/telegram/webhook"
    assert hook.secret_token == WEBHOOK_SECRET
    # one bot for both: it also hears who blocks it
    assert set(hook.allowed_updates) == {"message", "callback_query", "my_chat_member"}


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_missing_or_wrong_secret_is_refused(harness: BotHarness, secret: str | None) -> None:
    emu = harness.emulator
    update = {"update_id": 1, "message": {
        "message_id": 1, "date": 1, "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        "chat": {"id": ADMIN_ID, "type": "private"},
        "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "A"}}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    calls_before = len(emu.calls)
    status = await emu.post_webhook(emu.bot(harness.token), json.dumps(update).encode(), headers)
    await harness.settle()

    assert status == 401
    assert emu.calls[calls_before:] == []  # no handler ran


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"update_id": "x"}', b""])
async def test_malformed_updates_get_4xx_and_the_bot_keeps_serving(
        harness: BotHarness, body: bytes) -> None:
    async with ClientSession() as http:
        async with http.post(harness.url + "/telegram/webhook", data=body, headers={
                "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                "Content-Type": "application/json"}) as response:
            assert response.status == 400

    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    assert admin.buttons() == MENU


async def test_healthz_reports_the_database(harness: BotHarness) -> None:
    async with ClientSession() as http:
        async with http.get(harness.url + "/healthz") as response:
            assert response.status == 200
            body = await response.json()
            assert body.pop("delivery") in ("leader", "standby")
            assert body == {"status": "ok", "mode": "webhook", "database": "ok"}
        harness.app[POOL_KEY].terminate()  # the database goes away under the bot
        async with http.get(harness.url + "/healthz") as response:
            assert response.status == 503
            body = await response.json()
            assert body["database"] == "unavailable" and body["status"] == "degraded"


async def test_admin_pressing_a_stale_button_is_told_so(harness: BotHarness) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    bot = harness.emulator.bot(harness.token)
    # a button from an older version of the bot, still on an old message
    admin.last().reply_markup = {"inline_keyboard": [[{"text": "Старое", "callback_data": "old:1"}]]}
    await admin.click("Старое")
    answer = admin.callback_answer()
    assert answer["answered"] and answer["show_alert"]
    assert "устарела" in answer["text"]
    assert bot.chats[ADMIN_ID].messages[admin.last().message_id].text.startswith("Здравствуйте")


async def test_admin_text_outside_a_flow_is_a_search(harness: BotHarness) -> None:
    admin = harness.chat(ADMIN_ID)
    await admin.send("привет, как дела?")
    assert admin.last().text.startswith("🔎 По запросу «привет, как дела?» никого не нашёл.")
    await admin.send("/nosuchcommand")  # not a name: the menu
    assert admin.last().text.startswith("Не понял сообщение")
    assert admin.buttons() == MENU


async def test_a_failing_handler_gets_an_apology_not_a_traceback(
        harness: BotHarness, pool) -> None:  # type: ignore[no-untyped-def]
    admin = harness.chat(ADMIN_ID)
    await admin.send("/start")
    await pool.execute("ALTER TABLE course_streams RENAME TO course_streams_gone")
    await admin.click("📚 Потоки")  # the query fails: the button's answer says so
    answer = admin.callback_answer()
    assert answer["show_alert"] and answer["text"].startswith("⚠️ Не получилось")
    await pool.execute("ALTER TABLE daily_users RENAME TO daily_users_gone")
    await admin.send("/stats")  # a command: the apology comes as a message
    assert admin.last().text.startswith("⚠️ Не получилось выполнить действие")
    assert "Traceback" not in admin.transcript() and "Error" not in admin.transcript()
