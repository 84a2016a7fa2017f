"""The emulator's own rules, checked through aiogram's real client, so its figures can be
trusted by the bot's tests and benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest, TelegramConflictError, TelegramForbiddenError, TelegramNetworkError,
    TelegramRetryAfter, TelegramServerError, TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import ClientSession, web

from bot.sandbox.emulator import Emulator
from bot.sandbox.limits import LimitConfig, SendLimiter
from bot.sandbox.harness import ADMIN_TOKEN, BROADCAST_TOKEN


def _client(emulator: Emulator, token: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


@pytest.fixture
async def tg(emulator: Emulator) -> AsyncIterator[Bot]:
    bot = _client(emulator, ADMIN_TOKEN)
    yield bot
    await bot.session.close()


def _keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data=data)]])


async def test_messages_are_stored_as_telegram_parses_them(tg: Bot, emulator: Emulator) -> None:
    sent = await tg.send_message(10, 'Урок в <b>19:00</b>, <a href="https://x.org">ссылка</a> 😀')
    assert sent.text == "Урок в 19:00, ссылка 😀"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 7, 5), ("text_link", 14, 6)]
    assert sent.chat.id == 10 and sent.from_user.is_bot
    assert emulator.transcript(ADMIN_TOKEN, 10) == "bot  #1: Урок в 19:00, ссылка 😀"


@pytest.mark.parametrize("text, error", [
    ("<b>bold", 'can\'t parse entities: Can\'t find end tag corresponding to start tag "b"'),
    ("<div>x</div>", 'can\'t parse entities: Unsupported start tag "div" at byte offset 0'),
    ("x" * 4097, "message is too long"),
    ("   ", "message text is empty"),
])
async def test_bad_text_is_refused_with_telegrams_words(tg: Bot, text: str, error: str) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: " + error.replace("(", r"\(")):
        await tg.send_message(10, text)


async def test_length_counts_after_entities_in_utf16(tg: Bot) -> None:
    await tg.send_message(10, "<b>" + "я" * 4096 + "</b>")  # tags do not count
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await tg.send_message(11, "😀" * 2049)  # 4098 UTF-16 units


async def test_caption_limit_and_callback_data_limit(tg: Bot) -> None:
    photo = BufferedInputFile(b"\x89PNG", "a.png")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await tg.send_photo(10, photo, caption="x" * 1025)
    await tg.send_message(10, "ok", reply_markup=_keyboard("d" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await tg.send_message(10, "too long", reply_markup=_keyboard("d" * 65))


async def test_edit_not_modified_and_delete_rules(tg: Bot, emulator: Emulator) -> None:
    sent = await tg.send_message(10, "<b>a</b>", reply_markup=_keyboard("x"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await tg.edit_message_text("<b>a</b>", chat_id=10, message_id=sent.message_id,
                                   reply_markup=_keyboard("x"))
    edited = await tg.edit_message_text("<i>a</i>", chat_id=10, message_id=sent.message_id,
                                        reply_markup=_keyboard("x"))
    assert edited.edit_date is not None
    assert await tg.delete_message(10, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await tg.delete_message(10, sent.message_id)
    old = await tg.send_message(10, "old")
    emulator.advance_clock(48 * 3600 + 1)
    with pytest.raises(TelegramBadRequest, match="message can't be deleted for everyone"):
        await tg.delete_message(10, old.message_id)
    assert "(deleted)" in emulator.transcript(ADMIN_TOKEN, 10)


async def test_blocked_deactivated_and_never_started_users_get_403(
        tg: Bot, emulator: Emulator) -> None:
    await emulator.set_blocked(ADMIN_TOKEN, 20)
    emulator.set_chat_status(ADMIN_TOKEN, 21, "deactivated")
    emulator.bot(ADMIN_TOKEN).unknown_chats = "not_started"
    for chat_id, words in ((20, "bot was blocked by the user"), (21, "user is deactivated"),
                           (22, "bot can't initiate conversation with a user")):
        with pytest.raises(TelegramForbiddenError, match=words):
            await tg.send_message(chat_id, "hi")
    emulator.bot(ADMIN_TOKEN).unknown_chats = "not_found"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await tg.send_message(23, "hi")
    assert emulator.stats(ADMIN_TOKEN)["forbidden"] == 3


async def test_flood_limits_answer_429_and_count_breaches(tg: Bot, emulator: Emulator) -> None:
    bot = emulator.bot(ADMIN_TOKEN)
    bot.limits.config.per_second = 5
    for chat_id in range(100, 105):
        await tg.send_message(chat_id, "x")
    with pytest.raises(TelegramRetryAfter) as flood:
        await tg.send_message(105, "x")
    assert flood.value.retry_after >= 1
    assert bot.limits.breaches == 0
    await asyncio.sleep(0.3)  # the client knows of the retry_after and still sends
    with pytest.raises(TelegramRetryAfter):
        await tg.send_message(106, "x")
    assert bot.limits.breaches == 1
    await asyncio.sleep(flood.value.retry_after)
    await tg.send_message(107, "after the wait")  # allowed again, no breach
    assert bot.limits.breaches == 1
    assert emulator.stats(ADMIN_TOKEN)["too_many_requests"] == 2


async def test_paid_broadcast_lifts_the_global_limit(tg: Bot, emulator: Emulator) -> None:
    emulator.bot(ADMIN_TOKEN).limits.config.per_second = 5
    for chat_id in range(200, 220):
        await tg.send_message(chat_id, "paid", allow_paid_broadcast=True)
    with pytest.raises(TelegramRetryAfter):
        await tg.send_message(300, "free")  # the window is full for free sends


def test_one_chat_gets_a_short_burst_then_one_per_second() -> None:
    now = [0.0]
    limiter = SendLimiter(LimitConfig(chat_burst=3), clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(3)] == [None, None, None]
    assert limiter.check(1) == 1  # fourth in the same instant
    assert limiter.check(2) is None  # other chats are not held back
    now[0] = 1.01
    assert limiter.check(1) is None
    assert limiter.check(1) == 1


def test_the_window_counts_sends_by_arrival() -> None:
    """Sends that arrived spread over a second are not refused because the emulator got to
    them late, all at once (its latency, a busy event loop)."""
    now = [0.0]
    limiter = SendLimiter(LimitConfig(per_second=30), clock=lambda: now[0])
    now[0] = 2.0  # checked together, long after they arrived
    for second in (0, 1):  # 30 a second, for two seconds
        assert [limiter.check(100 * second + i, arrived=second * 1.01 + i * 0.03)
                for i in range(30)] == [None] * 30
    assert limiter.check(300, arrived=1.9) == 1  # 31 arrived within one second
    assert limiter.check(301, arrived=1.95) is not None  # the bot is held by that 429


async def test_files_belong_to_one_bot(tg: Bot, emulator: Emulator) -> None:
    photo = await tg.send_photo(10, BufferedInputFile(b"\x89PNG-data", "p.png"), caption="<i>c</i>")
    file_id = photo.photo[-1].file_id
    again = await tg.send_photo(11, file_id)  # reusing the bot's own file_id
    assert again.photo[-1].file_id == file_id
    path = (await tg.get_file(file_id)).file_path
    assert (await tg.download_file(path)).read() == b"\x89PNG-data"
    other = _client(emulator, BROADCAST_TOKEN)
    try:
        with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
            await other.send_photo(10, file_id)
    finally:
        await other.session.close()


async def test_faults_map_to_aiograms_errors(tg: Bot, emulator: Emulator) -> None:
    faults = emulator.bot(ADMIN_TOKEN).faults
    faults.server_errors_next = 1
    with pytest.raises(TelegramServerError):
        await tg.send_message(10, "x")
    faults.drop_next = 1  # processed, but the answer is lost
    with pytest.raises(TelegramNetworkError):
        await tg.send_message(10, "lost answer")
    assert "lost answer" in emulator.transcript(ADMIN_TOKEN, 10)
    faults.latency = 0.2
    started = asyncio.get_running_loop().time()
    await tg.get_me()
    assert asyncio.get_running_loop().time() - started >= 0.2


async def test_unknown_token_and_method(emulator: Emulator) -> None:
    stranger = _client(emulator, "999:" + "Z" * 35)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()
    async with ClientSession() as http:
        async with http.post(f"{emulator.base_url}/bot{ADMIN_TOKEN}/noSuchMethod") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"


async def test_updates_reach_the_webhook_with_the_secret(tg: Bot, emulator: Emulator) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         await request.json()))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await tg.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="abc_123",
                             allowed_updates=["message", "callback_query"])
        sent = await tg.send_message(30, "Выберите", reply_markup=_keyboard("pick:1"))
        delivery = await emulator.send_text(ADMIN_TOKEN, 30, "/start")
        assert delivery.status == 200
        pressed = await emulator.press(ADMIN_TOKEN, 30, "Да")
        with pytest.raises(LookupError):
            await emulator.press(ADMIN_TOKEN, 30, "Нет такой кнопки")
        await emulator.set_blocked(ADMIN_TOKEN, 30)  # my_chat_member: not in allowed_updates
        assert [secret for secret, _ in received] == ["abc_123", "abc_123"]
        message = received[0][1]["message"]
        assert message["text"] == "/start" and message["entities"][0]["type"] == "bot_command"
        callback = received[1][1]["callback_query"]
        assert callback["data"] == "pick:1"
        assert callback["message"]["message_id"] == sent.message_id
        assert await tg.answer_callback_query(pressed.callback_query_id, text="ok")
        with pytest.raises(TelegramBadRequest, match="query is too old"):
            await tg.answer_callback_query(pressed.callback_query_id)
        info = await tg.get_webhook_info()
        assert info.url.endswith("/hook") and info.allowed_updates == ["message", "callback_query"]
        with pytest.raises(TelegramConflictError):
            await tg.get_updates()
    finally:
        await runner.cleanup()


async def test_get_updates_long_polls(tg: Bot, emulator: Emulator) -> None:
    waiting = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    await emulator.send_text(ADMIN_TOKEN, 40, "привет")
    updates = await asyncio.wait_for(waiting, 3)
    assert [u.message.text for u in updates] == ["привет"]
    assert await tg.get_updates(offset=updates[-1].update_id + 1) == []


async def test_two_bots_have_separate_chats(emulator: Emulator, tg: Bot) -> None:
    other = _client(emulator, BROADCAST_TOKEN)
    try:
        await tg.send_message(50, "from admin bot")
        await other.send_message(50, "from course bot")
    finally:
        await other.session.close()
    assert emulator.transcript(ADMIN_TOKEN, 50) == "bot  #1: from admin bot"
    assert emulator.transcript(BROADCAST_TOKEN, 50) == "bot  #1: from course bot"
    one_send = {"sends_ok": 1, "chats_reached": 1, "chats_with_duplicates": 0,
                "rate_per_second": 0.0, "too_many_requests": 0, "forbidden": 0, "breaches": 0,
                "blocked_users": 0, "storm_refused": 0, "edits_ok": 0,
                "edit_rate_per_second": 0.0, "edit_too_many_requests": 0}
    assert emulator.stats(ADMIN_TOKEN) == emulator.stats(BROADCAST_TOKEN) == one_send  # per bot
    async with ClientSession() as http:  # the same figures as JSON, for benchmarks
        async with http.get(f"{emulator.base_url}/_emulator/stats",
                            params={"token": BROADCAST_TOKEN}) as response:
            assert await response.json() == one_send
        async with http.get(f"{emulator.base_url}/_emulator/stats",
                            params={"token": "1:unknown"}) as response:
            assert response.status == 404


async def test_edits_count_against_the_limit_when_asked(emulator: Emulator, tg: Bot) -> None:
    """Telegram counts edits against a bot's flood limits too; the emulator does so when asked
    (`--count-edits`: the benchmark of fixing sent broadcasts), not by default."""
    limits = emulator.bot(ADMIN_TOKEN).limits.config
    limits.per_second = 2
    sent = await tg.send_message(61, "раз")
    await tg.edit_message_text("два", chat_id=61, message_id=sent.message_id)
    await tg.edit_message_text("три", chat_id=61, message_id=sent.message_id)  # not counted
    limits.count_edits = True
    await tg.edit_message_text("четыре", chat_id=61, message_id=sent.message_id)
    with pytest.raises(TelegramRetryAfter):
        await tg.edit_message_text("пять", chat_id=61, message_id=sent.message_id)
    stats = emulator.stats(ADMIN_TOKEN)
    assert (stats["edits_ok"], stats["edit_too_many_requests"]) == (3, 1)
